using System.Text.Json.Serialization;

namespace Orchestrator.Cluster.History;

/// <summary>
/// A record of a change to one VF: where the VF is, the workload it serves, and the migration command (with its
/// epoch) that caused the change, if one did. The location comes first in the line, after the common fields.
/// </summary>
public abstract record VfRecord : HistoryRecord
{
    /// <summary>Host id, for example <c>host-a</c>.</summary>
    [JsonPropertyOrder(-3)]
    public required string Host { get; init; }

    /// <summary>PF id, for example <c>host-a/0000:3b:00.0</c>.</summary>
    [JsonPropertyOrder(-2)]
    public required string Pf { get; init; }

    /// <summary>VF id, for example <c>host-a/0000:3b:00.0/vf3</c>.</summary>
    [JsonPropertyOrder(-1)]
    public required string Vf { get; init; }

    /// <summary>The workload the VF serves (or served), or null for an unassigned VF.</summary>
    public string? Workload { get; init; }

    /// <summary>The migration whose command caused the change, or null.</summary>
    public string? Migration { get; init; }

    /// <summary>Epoch of that command, with <see cref="Migration"/>.</summary>
    public long? Epoch { get; init; }
}
