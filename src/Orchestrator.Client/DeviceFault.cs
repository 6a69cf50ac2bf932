namespace Orchestrator.Client;

/// <summary>
/// The body of <c>POST /api/v1/chaos/device-faults</c>: a fault for one PF. <see cref="Kind"/> is one of
/// <see cref="Kinds"/>; <see cref="Command"/> names a device command (<c>Save</c>, <c>Load</c>, …; any when absent);
/// <see cref="Nth"/> counts matching commands or stream chunks from now (default 1).
/// </summary>
public sealed record DeviceFault
{
    public const string Fail = "fail";
    public const string Hang = "hang";
    public const string CorruptRead = "corrupt-read";
    public const string CorruptWrite = "corrupt-write";
    public const string Latency = "latency";
    public const string Error = "error";
    public const string Clear = "clear";

    /// <summary>Every kind, in documentation order.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Fail, Hang, CorruptRead, CorruptWrite, Latency, Error, Clear];

    public string? Pf { get; init; }

    public string? Kind { get; init; }

    public string? Command { get; init; }

    public int? Nth { get; init; }

    public int? Vf { get; init; }

    public int? Milliseconds { get; init; }
}
