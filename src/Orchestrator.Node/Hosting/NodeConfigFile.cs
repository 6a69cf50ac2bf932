using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// Reads a node config file, HOCON or JSON (JSON is HOCON), into <see cref="NodeOptions"/>. Every error names the key
/// and the value; unknown keys in the node's sections are errors too, so a typo does not pass silently. The file's
/// <c>akka { … }</c> block is kept and applied over the generated Akka configuration.
/// </summary>
public static class NodeConfigFile
{
    // "chaos" holds no key any more (the harness has its own node verbs); it stays a section so that a config naming a
    // removed key (chaos.fault-api, chaos.unsafe-skip-commit-checkpoint) is refused with that key's full name.
    private static readonly string[] Sections = ["node", "cluster", "persistence", "api", "runtime", "policy", "limits", "history", "devices", "chaos", "log", "tracing", "tls"];

    private static readonly HashSet<string> KnownKeys =
    [
        NodeConfigKeys.Name, NodeConfigKeys.Hostname, NodeConfigKeys.Port, NodeConfigKeys.Topology, NodeConfigKeys.LatencyScale,
        NodeConfigKeys.DeviceSeed, NodeConfigKeys.StateStreamPorts, NodeConfigKeys.Discovery, NodeConfigKeys.ContactPoints, NodeConfigKeys.RequiredContactPoints,
        NodeConfigKeys.ManagementPort, NodeConfigKeys.BootstrapStableMargin, NodeConfigKeys.KubernetesPodLabelSelector, NodeConfigKeys.Roles, NodeConfigKeys.AcceptableHeartbeatPause,
        NodeConfigKeys.DowningStableAfter, NodeConfigKeys.Persistence, NodeConfigKeys.ConnectionString, NodeConfigKeys.ConnectionStringFile, NodeConfigKeys.ApiUrl,
        NodeConfigKeys.Token, NodeConfigKeys.TokenFile, NodeConfigKeys.ReadAuth, NodeConfigKeys.SseHeartbeat, NodeConfigKeys.ReadinessJournalGrace, NodeConfigKeys.StepTimeout, NodeConfigKeys.ReconcileInterval,
        NodeConfigKeys.IndexRetention, NodeConfigKeys.IndexMaxEnded, NodeConfigKeys.IdempotencyRetention,
        NodeConfigKeys.PolicyDowntimeLimit, NodeConfigKeys.PolicyBandwidth, NodeConfigKeys.PolicyMaxPreCopyRounds,
        NodeConfigKeys.PolicyCompletionTimeoutPerGiB, NodeConfigKeys.PolicyProgressTimeout, NodeConfigKeys.PolicyNonConvergenceAction, NodeConfigKeys.PolicySwitchoverAckWait,
        NodeConfigKeys.LimitsPerHostOutbound, NodeConfigKeys.LimitsPerHostInbound, NodeConfigKeys.LimitsPerPf, NodeConfigKeys.LimitsPerCluster,
        NodeConfigKeys.HistoryPath, NodeConfigKeys.DeviceStateDirectory, NodeConfigKeys.LogFormat,
        NodeConfigKeys.TracingOtlpEndpoint, NodeConfigKeys.TracingFile,
        NodeConfigKeys.TlsMode, NodeConfigKeys.TlsCertificate, NodeConfigKeys.TlsKey, NodeConfigKeys.TlsCa,
    ];

    /// <summary>Reads <paramref name="path"/> into <paramref name="options"/>; returns the errors (empty when fine).</summary>
    public static IReadOnlyList<string> Load(string path, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
        {
            return [$"--config: file '{path}' does not exist"];
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            return [$"--config: file '{path}' cannot be read: {e.Message}"];
        }

        var errors = Apply(text, options, path);
        if (errors.Count == 0)
        {
            // A relative path in a config file is relative to the file, not to the working directory.
            var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            options.Topology = options.Topology is { } topology ? Path.GetFullPath(Path.Combine(directory, topology)) : null;
            options.ConnectionStringFile = options.ConnectionStringFile is { } secret ? Path.GetFullPath(Path.Combine(directory, secret)) : null;
            options.TlsCertificate = options.TlsCertificate is { } certificate ? Path.GetFullPath(Path.Combine(directory, certificate)) : null;
            options.TlsKey = options.TlsKey is { } key ? Path.GetFullPath(Path.Combine(directory, key)) : null;
            options.TlsCa = options.TlsCa is { } ca ? Path.GetFullPath(Path.Combine(directory, ca)) : null;
        }

        return errors;
    }

    /// <summary>Applies config text to <paramref name="options"/>; returns the errors (empty when fine).</summary>
    public static IReadOnlyList<string> Apply(string text, NodeOptions options, string source = "config")
    {
        ArgumentNullException.ThrowIfNull(options);
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
#pragma warning disable CA1031 // The HOCON parser throws several exception types for bad syntax; all mean the same here.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return [$"{source}: not valid HOCON or JSON: {e.Message}"];
        }

        var errors = new List<string>();
        foreach (var key in LeafKeys(config))
        {
            if (NodeConfigKeys.Replaced.TryGetValue(key, out var replacement))
            {
                errors.Add($"{key}: {replacement}");
            }
            else if (!KnownKeys.Contains(key))
            {
                errors.Add($"{key}: unknown key in {source}; known keys are {string.Join(", ", KnownKeys.Order(StringComparer.Ordinal))}");
            }
        }

        Read(config, NodeConfigKeys.Name, errors, v => options.Name = v);
        Read(config, NodeConfigKeys.Hostname, errors, v => options.Hostname = v);
        ReadParsed(config, NodeConfigKeys.Port, errors, ParseInt, "is not a TCP port (0-65535)", v => options.Port = v);
        Read(config, NodeConfigKeys.Topology, errors, v => options.Topology = v);
        ReadParsed(config, NodeConfigKeys.LatencyScale, errors, ParseDouble, "is not a number", v => options.LatencyScale = v);
        ReadParsed(config, NodeConfigKeys.DeviceSeed, errors, ParseULong, "is not a non-negative integer", v => options.DeviceSeed = v);
        Read(config, NodeConfigKeys.StateStreamPorts, errors, v => options.StateStreamPorts = v);
        Read(config, NodeConfigKeys.Discovery, errors, v => options.Discovery = v);
        ReadList(config, NodeConfigKeys.ContactPoints, errors, v => options.ContactPoints = v);
        ReadParsed(config, NodeConfigKeys.RequiredContactPoints, errors, ParseInt, "is not an integer", v => options.RequiredContactPoints = v);
        ReadParsed(config, NodeConfigKeys.ManagementPort, errors, ParseInt, "is not a TCP port (1-65535)", v => options.ManagementPort = v);
        ReadDuration(config, NodeConfigKeys.BootstrapStableMargin, errors, v => options.BootstrapStableMargin = v);
        Read(config, NodeConfigKeys.KubernetesPodLabelSelector, errors, v => options.KubernetesPodLabelSelector = v);
        ReadList(config, NodeConfigKeys.Roles, errors, v => options.Roles = v);
        ReadDuration(config, NodeConfigKeys.AcceptableHeartbeatPause, errors, v => options.AcceptableHeartbeatPause = v);
        ReadDuration(config, NodeConfigKeys.DowningStableAfter, errors, v => options.DowningStableAfter = v);
        Read(config, NodeConfigKeys.Persistence, errors, v => options.Persistence = v);
        Read(config, NodeConfigKeys.ConnectionString, errors, v => options.ConnectionString = v);
        Read(config, NodeConfigKeys.ConnectionStringFile, errors, v => options.ConnectionStringFile = v);
        ReadParsed(config, NodeConfigKeys.SqliteFullSync, errors, ParseSwitch, "is not on or off", v => options.SqliteFullSync = v);
        Read(config, NodeConfigKeys.ApiUrl, errors, v => options.ApiUrl = v);
        Read(config, NodeConfigKeys.Token, errors, v => options.Token = v);
        Read(config, NodeConfigKeys.TokenFile, errors, v => options.TokenFile = v);
        ReadDuration(config, NodeConfigKeys.SseHeartbeat, errors, v => options.SseHeartbeat = v);
        ReadDuration(config, NodeConfigKeys.IdempotencyRetention, errors, v => options.IdempotencyRetention = v);
        ReadDuration(config, NodeConfigKeys.PolicyDowntimeLimit, errors, v => options.DefaultPolicy = options.DefaultPolicy with { DowntimeLimit = v });
        ReadParsed(config, NodeConfigKeys.PolicyBandwidth, errors, ParseLong, "is not an integer", v => options.DefaultPolicy = options.DefaultPolicy with { BandwidthCapBytesPerSecond = v });
        ReadParsed(config, NodeConfigKeys.PolicyMaxPreCopyRounds, errors, ParseInt, "is not an integer", v => options.DefaultPolicy = options.DefaultPolicy with { MaxPreCopyRounds = v });
        ReadDuration(config, NodeConfigKeys.PolicyCompletionTimeoutPerGiB, errors, v => options.DefaultPolicy = options.DefaultPolicy with { CompletionTimeoutPerGiB = v });
        ReadDuration(config, NodeConfigKeys.PolicyProgressTimeout, errors, v => options.DefaultPolicy = options.DefaultPolicy with { ProgressTimeout = v });
        ReadParsed(config, NodeConfigKeys.PolicyNonConvergenceAction, errors, Domain.Policies.NonConvergenceActions.Parse, "is not abort, force or wait",
            v => options.DefaultPolicy = options.DefaultPolicy with { NonConvergenceAction = v });
        ReadDuration(config, NodeConfigKeys.PolicySwitchoverAckWait, errors, v => options.DefaultPolicy = options.DefaultPolicy with { SwitchoverAckWait = v });
        ReadLimit(config, NodeConfigKeys.LimitsPerHostOutbound, errors, v => options.Limits = options.Limits with { PerHostOutbound = v });
        ReadLimit(config, NodeConfigKeys.LimitsPerHostInbound, errors, v => options.Limits = options.Limits with { PerHostInbound = v });
        ReadLimit(config, NodeConfigKeys.LimitsPerPf, errors, v => options.Limits = options.Limits with { PerPf = v });
        ReadLimit(config, NodeConfigKeys.LimitsPerCluster, errors, v => options.Limits = options.Limits with { PerCluster = v });
        ReadDuration(config, NodeConfigKeys.StepTimeout, errors, v => options.StepTimeout = v);
        ReadDuration(config, NodeConfigKeys.ReadinessJournalGrace, errors, v => options.ReadinessJournalGrace = v);
        ReadDuration(config, NodeConfigKeys.ReconcileInterval, errors, v => options.ReconcileInterval = v);
        ReadDuration(config, NodeConfigKeys.IndexRetention, errors, v => options.IndexRetention = v);
        ReadParsed(config, NodeConfigKeys.IndexMaxEnded, errors, ParseInt, "is not an integer", v => options.IndexMaxEnded = v);
        Read(config, NodeConfigKeys.HistoryPath, errors, v => options.HistoryPath = v);
        Read(config, NodeConfigKeys.DeviceStateDirectory, errors, v => options.DeviceStateDirectory = v);
        ReadParsed(config, NodeConfigKeys.ReadAuth, errors, ParseSwitch, "is not on or off", v => options.ReadAuth = v);
        ReadParsed(config, NodeConfigKeys.LogFormat, errors, v => v switch { "text" => false, "json" => true, _ => (bool?)null }, "is not text or json", v => options.JsonLogs = v);
        Read(config, NodeConfigKeys.TracingOtlpEndpoint, errors, v => options.TracingOtlpEndpoint = v);
        Read(config, NodeConfigKeys.TracingFile, errors, v => options.TracingFile = v);
        Read(config, NodeConfigKeys.TlsMode, errors, v => options.TlsMode = v);
        Read(config, NodeConfigKeys.TlsCertificate, errors, v => options.TlsCertificate = v);
        Read(config, NodeConfigKeys.TlsKey, errors, v => options.TlsKey = v);
        Read(config, NodeConfigKeys.TlsCa, errors, v => options.TlsCa = v);
        if (config.HasPath("akka"))
        {
            options.FileConfig = config;
        }

        return errors;
    }

    private static bool? ParseSwitch(string text) => text.ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => null,
    };

    private static IEnumerable<string> LeafKeys(Config config)
    {
        foreach (var section in Sections)
        {
            if (!config.HasPath(section))
            {
                continue;
            }

            var value = config.GetValue(section);
            if (!value.IsObject())
            {
                yield return section;
                continue;
            }

            foreach (var item in value.GetObject().Items)
            {
                yield return $"{section}.{item.Key}";
            }
        }

        foreach (var item in config.Root.GetObject().Items)
        {
            if (!Sections.Contains(item.Key) && item.Key != "akka")
            {
                yield return item.Key;
            }
        }
    }

    private static string? Raw(Config config, string key, List<string> errors)
    {
        if (!config.HasPath(key))
        {
            return null;
        }

        var value = config.GetValue(key);
        if (value.IsObject() || value.IsArray())
        {
            errors.Add($"{key}: '{Render(value)}' must be a single value");
            return null;
        }

        return value.GetString();
    }

    private static void Read(Config config, string key, List<string> errors, Action<string> set)
    {
        if (Raw(config, key, errors) is { } value)
        {
            set(value);
        }
    }

    private static int? ParseInt(string v) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static long? ParseLong(string v) => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static ulong? ParseULong(string v) => ulong.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static double? ParseDouble(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static void ReadParsed<T>(Config config, string key, List<string> errors, Func<string, T?> parse, string problem, Action<T> set)
        where T : struct
    {
        if (Raw(config, key, errors) is not { } value)
        {
            return;
        }

        if (parse(value) is { } parsed)
        {
            set(parsed);
        }
        else
        {
            errors.Add($"{key}: '{value}' {problem}");
        }
    }

    /// <summary>A concurrency limit: a whole number of at least 1 (the validator checks the range, naming the key).</summary>
    private static void ReadLimit(Config config, string key, List<string> errors, Action<int> set) =>
        ReadParsed(config, key, errors, ParseInt, "is not an integer", set);

    private static void ReadDuration(Config config, string key, List<string> errors, Action<TimeSpan> set) =>
        ReadParsed(config, key, errors, Durations.Parse, "is not a duration (e.g. 500ms, 3s, 1m)", set);

    private static void ReadList(Config config, string key, List<string> errors, Action<List<string>> set)
    {
        if (!config.HasPath(key))
        {
            return;
        }

        var value = config.GetValue(key);
        if (value.IsString() || value.IsObject())
        {
            errors.Add($"{key}: '{Render(value)}' must be a list, e.g. [\"a\", \"b\"]");
            return;
        }

        try
        {
            set([.. value.GetStringList()]);
        }
#pragma warning disable CA1031 // Whatever HOCON throws here means the same: not a list of strings.
        catch (Exception)
#pragma warning restore CA1031
        {
            errors.Add($"{key}: '{Render(value)}' must be a list of strings, e.g. [\"a\", \"b\"]");
        }
    }

    private static string Render(HoconValue value) => value.IsString() ? value.GetString() : value.ToString().Trim();
}
