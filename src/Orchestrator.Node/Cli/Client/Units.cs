using System.Globalization;

namespace Orchestrator.Node.Cli.Client;

/// <summary>How the terminal shows sizes, rates and durations.</summary>
internal static class Units
{
    public static string Bytes(double bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 30):0.00} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B"),
    };

    public static string Rate(double bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    public static string Ms(double? ms) => ms is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.0} ms") : "-";
}
