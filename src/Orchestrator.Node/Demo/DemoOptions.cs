using Orchestrator.Chaos.Processes;

namespace Orchestrator.Node.Demo;

/// <summary>What <c>orchestrator demo</c> (the cluster demo) runs with.</summary>
internal sealed record DemoOptions
{
    /// <summary>Node processes to start (each runs the hosts the topology gives it).</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>The first node's API port; node i serves <c>http://127.0.0.1:(base + i - 1)</c>.</summary>
    public int ApiPortBase { get; init; } = 7401;

    /// <summary>Seed of the simulated device state.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Leave the cluster running at the end (ended by <c>orchestrator demo --stop</c>).</summary>
    public bool Keep { get; init; }

    /// <summary>Faster device latencies and an immediate abort (tests, CI).</summary>
    public bool Quick { get; init; }

    /// <summary>Topology file; null = <c>cluster-config/demo-topology.yaml</c> found upwards from here.</summary>
    public string? Topology { get; init; }

    /// <summary>Where the token, the pid file and the demo's files go (default <c>.orchestrator</c> in the working directory).</summary>
    public string StateDirectory { get; init; } = ".orchestrator";

    /// <summary>The command that starts a node, before <c>node --config FILE</c>; null = this build (<c>dotnet orchestrator.dll</c>).</summary>
    public IReadOnlyList<string>? NodeCommand { get; init; }

    /// <summary>How long the cluster may take to answer with every host in the inventory.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one migration may take before the demo counts it failed.</summary>
    public TimeSpan MigrationTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>The cluster of node processes these options run.</summary>
    public LocalClusterOptions Cluster() => new()
    {
        Nodes = Nodes,
        ApiPortBase = ApiPortBase,
        Seed = Seed,
        Quick = Quick,
        StateDirectory = StateDirectory,
        NodeCommand = NodeCommand,
        StartTimeout = StartTimeout,

        // Each node writes its migration traces next to its log (README: Traces).
        ExtraConfig = (name, directory) => $"tracing.file = \"{LocalCluster.Hocon(LocalCluster.SpansPath(directory, name))}\"",
    };

    /// <summary>Every problem, naming the option and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Nodes is < 1 or > 9)
        {
            errors.Add($"--nodes: bad value '{Nodes}'; expected 1 to 9");
        }

        if (ApiPortBase is < 1024 || ApiPortBase + Nodes - 1 > 65535)
        {
            errors.Add($"--api-port-base: bad value '{ApiPortBase}'; expected 1024 to {65535 - Nodes + 1}");
        }

        return errors;
    }
}
