using System.Text.Json.Serialization;

namespace Orchestrator.Cluster.History;

/// <summary>
/// One line of a history file (JSON Lines). The <c>type</c> discriminator names the kind of record
/// (<c>vf-state</c>, <c>migration-state</c>, ...); <c>kind</c> is left free for the record's own sub-kind
/// (VF kind, slot kind, fault kind). Every record carries <c>t</c> (UTC, 7 fractional digits), the writer's
/// monotonically increasing <c>seq</c>, and the <c>node</c> that wrote it; a <see cref="HistoryWriter"/> stamps them.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(VfCreated), "vf-created")]
[JsonDerivedType(typeof(VfDestroyed), "vf-destroyed")]
[JsonDerivedType(typeof(VfStateChanged), "vf-state")]
[JsonDerivedType(typeof(VfReset), "vf-reset")]
[JsonDerivedType(typeof(StateSaved), "state-saved")]
[JsonDerivedType(typeof(StateLoaded), "state-loaded")]
[JsonDerivedType(typeof(CommandFenced), "command-fenced")]
[JsonDerivedType(typeof(SlotChanged), "slot")]
[JsonDerivedType(typeof(PfStarted), "pf-started")]
[JsonDerivedType(typeof(ReservationChanged), "reservation")]
[JsonDerivedType(typeof(MigrationStateChanged), "migration-state")]
[JsonDerivedType(typeof(ClientOperation), "client-op")]
[JsonDerivedType(typeof(FaultInjected), "fault")]
[JsonDerivedType(typeof(LeftoverCleanedRecord), "leftover-cleaned")]
public abstract record HistoryRecord
{
    /// <summary>UTC wall-clock time the record was written; ties are broken by <see cref="Node"/>, then <see cref="Seq"/>.</summary>
    [JsonPropertyName("t")]
    [JsonPropertyOrder(-6)]
    public DateTimeOffset Time { get; init; }

    /// <summary>Per-writer sequence number, strictly increasing within one file.</summary>
    [JsonPropertyOrder(-5)]
    public long Seq { get; init; }

    /// <summary>The process that wrote the record: a node name such as <c>host-a</c>, or <c>client</c> / <c>harness</c>.</summary>
    [JsonPropertyOrder(-4)]
    public string Node { get; init; } = "";
}
