namespace Orchestrator.Cluster.History;

/// <summary><c>command-fenced</c>: a PF rejected a stale command without touching the device.</summary>
public sealed record CommandFenced : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>VF id, when the command named one.</summary>
    public string? Vf { get; init; }

    /// <summary>Migration id of the rejected command.</summary>
    public required string Migration { get; init; }

    /// <summary>Epoch of the rejected command.</summary>
    public required long Epoch { get; init; }

    /// <summary>The newer epoch the PF had already seen.</summary>
    public required long CurrentEpoch { get; init; }

    /// <summary>Name of the rejected command, for example <c>SetState(STOP_COPY)</c>.</summary>
    public required string Command { get; init; }
}
