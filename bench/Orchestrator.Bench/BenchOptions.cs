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

    /// <summary>How long the soak drives the cluster (<c>--soak-minutes</c>); 30, or 3 with <c>--quick</c>, when null.</summary>
    public int? SoakMinutes { get; init; }

    /// <summary>Where the soak writes its plot (<c>--soak-png</c>), its samples going beside it as CSV.</summary>
    public string? SoakPng { get; init; }

    /// <summary>
    /// A soak's samples (the CSV it wrote beside its plot, <c>--soak-samples</c>): the soak's figures are computed from
    /// them again, and no cluster is started.
    /// </summary>
    public string? SoakSamples { get; init; }

    public bool Wants(string group) => Only.Count == 0 || Only.Contains(group);

    /// <summary>The groups <c>--only</c> may name, in the order the bench runs them.</summary>
    public static IReadOnlyList<string> KnownGroups { get; } =
        ["tcp", "downtime", "control", "multivf", "prediction", "evacuation", "recovery", "memory", "index", "authority", "3proc", "soak"];

    private static string ValueOf(string[] args, int i) =>
        i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static HashSet<string> Groups(string list)
    {
        var groups = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var unknown = groups.Where(g => !KnownGroups.Contains(g)).ToList();
        return unknown.Count == 0
            ? groups
            : throw new ArgumentException($"--only: unknown group '{string.Join("', '", unknown)}'; expected some of {string.Join(",", KnownGroups)}");
    }

    private static int Minutes(string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minutes) && minutes is >= 1 and <= 1440
            ? minutes
            : throw new ArgumentException($"--soak-minutes: '{value}' is not a whole number of minutes from 1 to 1440");

    private static string Existing(string option, string path) =>
        File.Exists(path) ? path : throw new ArgumentException($"{option}: '{path}' does not exist");

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions { Postgres = Environment.GetEnvironmentVariable("ORCHESTRATOR_PG") };
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--json" => options with { Json = true },
                "--only" => options with { Only = Groups(ValueOf(args, ++i)) },
                "--node-command" => options with { NodeCommand = ValueOf(args, ++i).Split(' ', StringSplitOptions.RemoveEmptyEntries) },
                "--postgres" => options with { Postgres = ValueOf(args, ++i) },
                "--soak-minutes" => options with { SoakMinutes = Minutes(ValueOf(args, ++i)) },
                "--soak-png" => options with { SoakPng = ValueOf(args, ++i) },
                "--soak-samples" => options with { SoakSamples = Existing("--soak-samples", ValueOf(args, ++i)) },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'; expected --quick, --json, --only a,b, --node-command CMD, --postgres CONN, --soak-minutes N, --soak-png PATH, --soak-samples CSV"),
            };
        }

        return options;
    }
}
