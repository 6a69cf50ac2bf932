namespace Orchestrator.Chaos.Harness;

/// <summary>What <c>orchestrator chaos</c> runs with.</summary>
public sealed record ChaosOptions
{
    /// <summary>Every fault kind the harness knows.</summary>
    public static readonly IReadOnlyList<string> AllFaults = ["kill", "pause", "partition", "db", "device"];

    public ulong Seed { get; init; } = 1;

    /// <summary>How long faults are injected and migrations requested (settling comes after).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Migrations the client requests over the run.</summary>
    public int Migrations { get; init; } = 20;

    public IReadOnlyList<string> Faults { get; init; } = ["kill", "pause", "device"];

    public int Nodes { get; init; } = 3;

    /// <summary><c>sqlite</c> (one shared file) or <c>postgres</c> (<c>ORCHESTRATOR_PG</c>).</summary>
    public string Db { get; init; } = "sqlite";

    /// <summary>Where the JSON report goes; null = only <c>report.json</c> in the run directory.</summary>
    public string? Report { get; init; }

    public string StateDirectory { get; init; } = ".orchestrator";

    public int ApiPortBase { get; init; } = 7501;

    public string? Topology { get; init; }

    /// <summary>How long migrations may take to end after the last fault healed (the checker's bound too).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Before the seeded schedule, one targeted fault: a migration held between Committed and Completed and a kill -9
    /// of its coordinator's node (the fault a build that loses the Committed checkpoint cannot survive).
    /// </summary>
    public bool KillAfterCommit { get; init; }

    /// <summary>
    /// TEST ONLY: nodes run the deliberately broken build whose journal loses the Committed checkpoint (the hidden
    /// <c>chaos-node</c> verb).
    /// </summary>
    public bool LoseCommitCheckpoint { get; init; }

    /// <summary>The command that starts a node; null = this build.</summary>
    public IReadOnlyList<string>? NodeCommand { get; init; }

    /// <summary>Keep the run directory (histories, logs, configs) at the end; the default keeps it too, for a failed run's evidence.</summary>
    public bool CleanOnSuccess { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Nodes is < 3 or > 9)
        {
            errors.Add($"--nodes: bad value '{Nodes}'; expected 3 to 9");
        }

        if (Duration < TimeSpan.FromSeconds(5) || Duration > TimeSpan.FromDays(7))
        {
            errors.Add($"--duration: bad value '{Duration}'; expected 5 s to 7 days");
        }

        if (Migrations is < 0 or > 100_000)
        {
            errors.Add($"--migrations: bad value '{Migrations}'; expected 0 to 100000");
        }

        foreach (var f in Faults.Where(f => !AllFaults.Contains(f)))
        {
            errors.Add($"--faults: unknown fault '{f}'; expected a comma-separated subset of {string.Join(",", AllFaults)}");
        }

        if (Db is not ("sqlite" or "postgres"))
        {
            errors.Add($"--db: bad value '{Db}'; expected sqlite or postgres");
        }

        if (Db == "postgres" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ORCHESTRATOR_PG")))
        {
            errors.Add("--db: 'postgres' needs ORCHESTRATOR_PG (a Npgsql connection string)");
        }

        if (ApiPortBase is < 1024 || ApiPortBase + Nodes - 1 > 65535)
        {
            errors.Add($"--api-port-base: bad value '{ApiPortBase}'; expected 1024 to {65535 - Nodes + 1}");
        }

        if (SettleTimeout < TimeSpan.FromSeconds(5) || SettleTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"--settle: bad value '{SettleTimeout}'; expected 5 s to 1 h");
        }

        return errors;
    }
}
