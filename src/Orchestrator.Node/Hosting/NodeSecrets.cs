namespace Orchestrator.Node.Hosting;

/// <summary>
/// Secrets that must not be on a command line (every user of the machine reads it in <c>ps</c>): the journal's
/// connection string from <c>ORCHESTRATOR_CONNECTION_STRING</c> or <c>persistence.connection-string-file</c> (a
/// Kubernetes secret volume, a systemd credential), read after the config file and the flags. Errors name the key and
/// the file, never the secret.
/// </summary>
public static class NodeSecrets
{
    /// <summary>The environment variable that overrides <c>persistence.connection-string</c>.</summary>
    public const string ConnectionStringVariable = "ORCHESTRATOR_CONNECTION_STRING";

    /// <summary>Applies the connection string from the environment or its file; returns what is wrong.</summary>
    public static IReadOnlyList<string> Apply(NodeOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<string>();
        if (environment(ConnectionStringVariable) is { Length: > 0 } fromEnvironment)
        {
            options.ConnectionString = fromEnvironment;
        }
        else if (options.ConnectionStringFile is { } file)
        {
            if (ReadSecret(file) is { } secret)
            {
                options.ConnectionString = secret;
            }
            else
            {
                errors.Add($"{NodeConfigKeys.ConnectionStringFile}: file '{file}' does not exist or is empty");
            }
        }

        return errors;
    }

    /// <summary>A warning when a password came on the command line (null when none did).</summary>
    public static string? CommandLineWarning(string? connectionFlag) =>
        connectionFlag is not null && connectionFlag.Contains("password", StringComparison.OrdinalIgnoreCase)
            ? $"--connection holds a password, which every user of this machine can read in ps; use {ConnectionStringVariable} or {NodeConfigKeys.ConnectionStringFile}"
            : null;

    /// <summary>The first line of <paramref name="path"/>, trimmed; null when the file is missing or that line is empty.</summary>
    public static string? ReadSecret(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadLines(path).FirstOrDefault()?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }
}
