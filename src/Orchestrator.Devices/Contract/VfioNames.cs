using System.Globalization;

namespace Orchestrator.Devices.Contract;

/// <summary>
/// The kernel's spelling of states and flag sets (<c>RUNNING_P2P</c>, <c>STOP_COPY|P2P</c>): the names used in
/// <c>vfio-fsm.json</c>, the API, logs and the <c>orchestrator fsm</c> tool.
/// </summary>
public static class VfioNames
{
    private static readonly string[] StateNames =
        ["ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P"];

    /// <summary>All eight states in numeric order.</summary>
    public static IReadOnlyList<VfioDeviceState> AllStates { get; } =
        [.. Enumerable.Range(0, StateNames.Length).Select(i => (VfioDeviceState)i)];

    /// <summary>The four defined flag sets, in the order of <c>vfio-fsm.json</c>.</summary>
    public static IReadOnlyList<MigrationFlags> DefinedFlagSets { get; } =
    [
        MigrationFlags.StopCopy,
        MigrationFlags.StopCopy | MigrationFlags.P2P,
        MigrationFlags.StopCopy | MigrationFlags.PreCopy,
        MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy,
    ];

    /// <summary>The kernel name of a state, for example <c>RUNNING_P2P</c>.</summary>
    public static string Name(this VfioDeviceState state) =>
        (int)state >= 0 && (int)state < StateNames.Length
            ? StateNames[(int)state]
            : ((int)state).ToString(CultureInfo.InvariantCulture);

    /// <summary>The name of a flag set as in <c>vfio-fsm.json</c>, for example <c>STOP_COPY|P2P|PRE_COPY</c>.</summary>
    public static string Name(this MigrationFlags flags)
    {
        var parts = new List<string>(3);
        if (flags.HasFlag(MigrationFlags.StopCopy))
        {
            parts.Add("STOP_COPY");
        }

        if (flags.HasFlag(MigrationFlags.P2P))
        {
            parts.Add("P2P");
        }

        if (flags.HasFlag(MigrationFlags.PreCopy))
        {
            parts.Add("PRE_COPY");
        }

        return parts.Count == 0 ? "NONE" : string.Join('|', parts);
    }

    /// <summary>Parses a state name (kernel spelling, case-insensitive, <c>-</c> allowed for <c>_</c>).</summary>
    public static bool TryParseState(string? text, out VfioDeviceState state)
    {
        state = VfioDeviceState.Error;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var normalized = text.Trim().Replace('-', '_').ToUpperInvariant();
        var index = Array.IndexOf(StateNames, normalized);
        if (index < 0)
        {
            return false;
        }

        state = (VfioDeviceState)index;
        return true;
    }

    /// <summary>
    /// Parses a flag set such as <c>STOP_COPY,P2P</c> or <c>STOP_COPY|P2P|PRE_COPY</c>; the set must be one of the four
    /// defined ones. <paramref name="error"/> names the bad value.
    /// </summary>
    public static bool TryParseFlags(string? text, out MigrationFlags flags, out string? error)
    {
        flags = MigrationFlags.None;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty flag set; expected one of " + string.Join(", ", DefinedFlagSets.Select(f => f.Name()));
            return false;
        }

        foreach (var raw in text.Split([',', '|', '+'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var part = raw.Replace('-', '_').ToUpperInvariant();
            flags |= part switch
            {
                "STOP_COPY" or "SC" => MigrationFlags.StopCopy,
                "P2P" => MigrationFlags.P2P,
                "PRE_COPY" or "PRE" => MigrationFlags.PreCopy,
                _ => MigrationFlags.None,
            };
            if (part is not ("STOP_COPY" or "SC" or "P2P" or "PRE_COPY" or "PRE"))
            {
                error = $"unknown migration flag '{raw}'; expected STOP_COPY, P2P or PRE_COPY";
                flags = MigrationFlags.None;
                return false;
            }
        }

        if (!VfioFsm.IsDefinedFlagSet(flags))
        {
            error = $"flag set '{text}' is not defined by the uAPI: STOP_COPY is mandatory; expected one of " +
                    string.Join(", ", DefinedFlagSets.Select(f => f.Name()));
            flags = MigrationFlags.None;
            return false;
        }

        return true;
    }
}
