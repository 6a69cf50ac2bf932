namespace Orchestrator.Bench;

/// <summary>Command line of the bench.</summary>
internal sealed record BenchOptions
{
    public bool Quick { get; init; }

    public bool Json { get; init; }

    /// <summary>Only these keys (comma-separated <c>--only</c>); all when empty.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>The command that runs <c>orchestrator</c> (for the 3-process figures).</summary>
    public IReadOnlyList<string> NodeCommand { get; init; } = [];

    /// <summary>PostgreSQL connection string for the 3-process figures; SQLite when null.</summary>
    public string? Postgres { get; init; }

    public bool Wants(string group) => Only.Count == 0 || Only.Contains(group);

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions { Postgres = Environment.GetEnvironmentVariable("ORCHESTRATOR_PG") };
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--json" => options with { Json = true },
                "--only" => options with { Only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet() },
                "--node-command" => options with { NodeCommand = args[++i].Split(' ', StringSplitOptions.RemoveEmptyEntries) },
                "--postgres" => options with { Postgres = args[++i] },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'; expected --quick, --json, --only a,b, --node-command CMD, --postgres CONN"),
            };
        }

        return options;
    }
}
