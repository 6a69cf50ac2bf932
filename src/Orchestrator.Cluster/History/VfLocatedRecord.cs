using System.Text.Json.Serialization;

namespace Orchestrator.Cluster.History;

/// <summary>A record about one VF: where it is. The location comes first in the line, after the common fields.</summary>
public abstract record VfLocatedRecord : HistoryRecord
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
}
