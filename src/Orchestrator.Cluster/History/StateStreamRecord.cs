namespace Orchestrator.Cluster.History;

/// <summary>
/// One end of a VF's state stream, located at that end's VF: the source's save (<see cref="StateSaved"/>) or the
/// target's load (<see cref="StateLoaded"/>) for a migration command; the checker pairs them and compares checksums.
/// </summary>
public abstract record StateStreamRecord : VfLocatedRecord
{
    /// <summary>Migration id.</summary>
    public required string Migration { get; init; }

    /// <summary>Epoch of the command.</summary>
    public required long Epoch { get; init; }

    /// <summary>Total bytes of the stream.</summary>
    public required long Bytes { get; init; }

    /// <summary>Checksum (hex) of the whole stream: as read from the source device, or as written into the target device.</summary>
    public required string Checksum { get; init; }

    /// <summary>
    /// Names the VF pair in a multi-VF migration, the same on the save and on the matching load; by convention the
    /// source VF id. Null: saves and loads of the same migration and epoch are matched by order.
    /// </summary>
    public string? Pair { get; init; }
}
