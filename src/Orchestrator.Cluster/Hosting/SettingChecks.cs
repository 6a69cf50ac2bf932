using System.Globalization;

namespace Orchestrator.Cluster.Hosting;

/// <summary>The checks the settings records share; each error names the setting and its value.</summary>
internal static class SettingChecks
{
    /// <summary>Adds an error when <paramref name="value"/> is not above zero.</summary>
    public static void Positive(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{name} = {Text(value)} must be positive");
        }
    }

    /// <summary>Adds an error when <paramref name="value"/> is below zero.</summary>
    public static void NotNegative(List<string> errors, string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            errors.Add($"{name} = {Text(value)} must not be negative");
        }
    }

    /// <summary>Adds an error when <paramref name="value"/> is below <paramref name="least"/>.</summary>
    public static void AtLeast(List<string> errors, string name, int value, int least)
    {
        if (value < least)
        {
            errors.Add($"{name} = {value} must be at least {least}");
        }
    }

    /// <summary>A duration as the config files write it: 250ms, 3s.</summary>
    public static string Text(TimeSpan value) =>
        value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}
