namespace Orchestrator.Cluster.History;

/// <summary><c>state-saved</c>: the source PF finished reading a VF's state stream (STOP_COPY) for a migration.</summary>
public sealed record StateSaved : HistoryRecord
{
    /// <summary>Source host id.</summary>
    public required string Host { get; init; }

    /// <summary>Source PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>Source VF id.</summary>
    public required string Vf { get; init; }

    /// <summary>Migration id.</summary>
    public required string Migration { get; init; }

    /// <summary>Epoch of the command.</summary>
    public required long Epoch { get; init; }

    /// <summary>Total bytes of the stream.</summary>
    public required long Bytes { get; init; }

    /// <summary>Checksum of the whole stream (hex).</summary>
    public required string Checksum { get; init; }

    /// <summary>
    /// Names the VF pair in a multi-VF migration, the same on the matching <see cref="StateLoaded"/>; by convention the
    /// source VF id. Null: saves and loads of the same migration and epoch are matched by order.
    /// </summary>
    public string? Pair { get; init; }
}
