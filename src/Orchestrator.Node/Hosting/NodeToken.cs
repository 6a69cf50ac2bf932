using System.Security.Cryptography;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// The bearer token of mutating API calls: <c>ORCHESTRATOR_TOKEN</c> when set, else <c>api.token</c>, else the one in
/// <c>api.token-file</c> (default <c>.orchestrator/NAME.token</c>) when that file holds one (a secret volume, a systemd
/// credential, or the token this node generated before: it survives a restart), else a new random one written there
/// (mode 0600).
/// </summary>
public sealed record NodeToken(string Value, string Source, string? WrittenTo)
{
    /// <summary>Picks or generates the token; writes a generated one to its file.</summary>
    public static NodeToken Resolve(NodeOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        if (environment(NodeConfigKeys.TokenEnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return new NodeToken(fromEnvironment, NodeConfigKeys.TokenEnvironmentVariable, null);
        }

        if (options.Token is { Length: > 0 } configured)
        {
            return new NodeToken(configured, NodeConfigKeys.Token, null);
        }

        var path = Path.GetFullPath(options.TokenFile ?? Path.Combine(".orchestrator", options.Name + ".token"));
        if (NodeSecrets.ReadSecret(path) is { } stored)
        {
            return new NodeToken(stored, path, null);
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, fileOptions))
        {
            writer.WriteLine(token);
        }

        return new NodeToken(token, "generated", path);
    }
}
