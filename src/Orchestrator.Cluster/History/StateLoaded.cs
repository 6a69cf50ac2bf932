namespace Orchestrator.Cluster.History;

/// <summary><c>state-loaded</c>: the target device accepted a state stream (RESUMING → STOP succeeded).</summary>
public sealed record StateLoaded : HistoryRecord
{
    /// <summary>Target host id.</summary>
    public required string Host { get; init; }

    /// <summary>Target PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>Target VF id.</summary>
    public required string Vf { get; init; }

    /// <summary>Migration id.</summary>
    public required string Migration { get; init; }

    /// <summary>Epoch of the command.</summary>
    public required long Epoch { get; init; }

    /// <summary>Total bytes written into the device.</summary>
    public required long Bytes { get; init; }

    /// <summary>Checksum of the bytes written into the device (hex), computed on the target.</summary>
    public required string Checksum { get; init; }

    /// <summary>The pair this load belongs to; see <see cref="StateSaved.Pair"/>.</summary>
    public string? Pair { get; init; }
}
