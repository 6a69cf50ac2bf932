namespace Orchestrator.Devices.Topology;

/// <summary>How <see cref="TopologyDriverFactory"/> builds simulated drivers.</summary>
public sealed record TopologySimulationOptions
{
    /// <summary>Seed of every VF's state contents and workload: the same topology and seed give the same bytes.</summary>
    public ulong Seed { get; init; }

    /// <summary>The drivers' clock; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Multiplies every command latency: 1 = the model's, 0 = instant.</summary>
    public double LatencyScale { get; init; } = 1.0;

    /// <summary>
    /// Where each PF keeps its VFs across process restarts (one file per PF, <see cref="TopologyDriverFactory.StateFile"/>);
    /// a PF whose file exists starts from it instead of the topology's VFs. Null = no persistence (the default).
    /// </summary>
    public string? StateDirectory { get; init; }
}
