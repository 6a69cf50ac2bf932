using System.CommandLine;
using Orchestrator.Client;

namespace Orchestrator.Node.Cli.Client;

/// <summary>
/// The client verbs, each calling the HTTP API of a node: <c>hosts</c>, <c>vfs</c>, <c>vf</c>, <c>destroy-vf</c>, <c>migrate</c>, <c>migrations</c>,
/// <c>watch</c>, <c>abort</c>, <c>switchover</c>, <c>policy</c>, <c>evacuate</c>, <c>evacuations</c>, <c>cordon</c>. Exit codes: <see cref="ExitCodes"/>.
/// </summary>
internal static class ClientCommands
{
    public static IReadOnlyList<Command> Create(CliIo io) =>
    [
        InventoryVerbs.Hosts(io),
        InventoryVerbs.Vfs(io),
        InventoryVerbs.Vf(io),
        InventoryVerbs.DestroyVf(io),
        MigrationVerbs.Migrate(io),
        MigrationVerbs.Migrations(io),
        MigrationVerbs.Show(io),
        MigrationVerbs.Watch(io),
        MigrationVerbs.Abort(io),
        MigrationVerbs.Switchover(io),
        MigrationVerbs.Policy(io),
        InventoryVerbs.Evacuate(io),
        InventoryVerbs.Evacuations(io),
        InventoryVerbs.Cordon(io),
        MigrationVerbs.Placement(io),
        InventoryVerbs.Reconcile(io),
    ];

    /// <summary>An id-like argument: non-empty, no spaces or slashes; otherwise a <see cref="BadInputException"/> naming it.</summary>
    internal static string RequireName(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || value.Contains('/', StringComparison.Ordinal))
        {
            throw new BadInputException($"{what}: bad value '{value}'; expected a name without spaces or '/'");
        }

        return value;
    }

    /// <summary>The <c>--idempotency-key</c> option of a verb that starts something (migrate, evacuate).</summary>
    internal static Option<string?> IdempotencyKeyOption() =>
        new("--idempotency-key") { Description = "Idempotency-Key header (default: a new one); lost answers are retried with it, and repeating it answers the same request" };

    /// <summary>The <c>--timeout</c> option of a verb that follows migrations (<c>--wait</c>, <c>watch</c>).</summary>
    internal static Option<double?> TimeoutOption() =>
        new("--timeout") { Description = "Stop following after this many seconds (exit 5); what is followed goes on" };

    /// <summary>
    /// Runs <paramref name="follow"/> for at most <paramref name="seconds"/> (none: until it returns). When the time is
    /// up it says so and answers exit 5; the migrations are not touched, only no longer followed.
    /// </summary>
    internal static async Task<int> WithinAsync(ClientContext c, string verb, double? seconds, Func<CancellationToken, Task<int>> follow, CancellationToken ct)
    {
        if (seconds is { } bad && (!double.IsFinite(bad) || bad <= 0 || bad > 7 * 24 * 3600))
        {
            throw new BadInputException($"--timeout: bad value '{bad}'; expected seconds > 0 (at most a week)");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (seconds is { } s)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(s));
        }

        try
        {
            return await follow(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && limit.IsCancellationRequested)
        {
            c.Io.Error.WriteLine($"orchestrator {verb}: not ended after --timeout {seconds} s; it goes on (follow it again with orchestrator watch)");
            return ExitCodes.Unreachable;
        }
    }

    /// <summary>The key given, or a new one.</summary>
    internal static string KeyOrNew(string? given) => given is { } k ? RequireName(k, "--idempotency-key") : Guid.NewGuid().ToString("N");

}
