using System.Diagnostics;
using Orchestrator.Client;
using Orchestrator.Node.Cli.Client;
using Spectre.Console;

namespace Orchestrator.Node.Demo;

/// <summary>
/// What the demo does through the API once the cluster is up: single- and multi-VF migrations, an abort, a rollback
/// caused by an incompatible target (with the placement's reason), an evacuation, then the table of every migration.
/// Each step states what it expects; a step whose outcome differs counts as failed.
/// </summary>
internal sealed class DemoScenario(OrchestratorApiClient api, OrchestratorApiClient other, IAnsiConsole console, TimeProvider time, DemoOptions options)
{
    private readonly List<string> _failures = [];
    private readonly List<string> _migrations = [];

    /// <summary>Expectations not met, one line each.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Runs every step; returns the final view of every migration started.</summary>
    public async Task<IReadOnlyList<ApiMigration>> RunAsync(CancellationToken ct)
    {
        var hosts = await api.GetHostsAsync(ct);
        console.Write(InventoryVerbs.HostsTable(hosts.Value));

        Step("1. live-migrate vm-web (1 VF, mlx5) and vm-db (2 VFs, mlx5 + pds, P2P switchover) from host-a to host-b");
        var web = await StartAsync("vm-web", "host-b", ct);
        var db = await StartAsync("vm-db", "host-b", ct);
        await ExpectAsync([web, db], ApiMigration.Completed, ct);

        Step("2. abort: vm-web back to host-a, aborted before it commits");
        var back = await StartAsync("vm-web", "host-a", ct);
        if (back is not null)
        {
            if (!options.Quick)
            {
                await WaitForAsync(back, m => m.State is "PreCopying" or "TargetPrepared" || m.IsTerminal || Committed(m), ct);
            }

            try
            {
                var aborted = await api.AbortAsync(back, ct);
                console.MarkupLine($"  abort requested for {Markup.Escape(back)}{(aborted.Value is { } a ? $" in {Markup.Escape(a.State)}" : "")}");
            }
            catch (ApiException e) when (e.Kind == ApiErrorKind.Conflict)
            {
                console.MarkupLine($"  [yellow]abort refused[/]: {Markup.Escape(e.Message)}");
            }

            await ExpectAsync([back], ApiMigration.RolledBack, ct);
        }

        Step("3. rollback: vm-web to host-c, whose mlx5 PF runs older firmware (28.39.2048)");
        try
        {
            var placement = await api.QueryPlacementAsync("vm-web", "host-c", ct);
            foreach (var r in placement.Value.Rejected ?? [])
            {
                console.MarkupLine($"  placement rejects {Markup.Escape(r.Pf ?? r.Host ?? "the request")}: {Markup.Escape(r.Reason)}{(r.Detail is { } d ? " (" + Markup.Escape(d) + ")" : "")}");
            }
        }
        catch (ApiException e)
        {
            console.MarkupLine($"  placement query: {Markup.Escape(e.Message)}");
        }

        try
        {
            var bad = await StartRetryingAsync("vm-web", "host-c", ct);
            Track(bad);
            await ExpectAsync([bad.Id], ApiMigration.RolledBack, ct);
        }
        catch (ApiException e) when (e.Kind is ApiErrorKind.Conflict or ApiErrorKind.BadInput)
        {
            // Refused before a migration existed: the reason is shown, nothing moved; that is the expected outcome too.
            console.MarkupLine($"  [green]refused[/] before it started: {Markup.Escape(e.Message)}");
        }

        Step("4. evacuate host-a: every workload still there moves away");
        await EvacuateAsync("host-a", ct);

        var ours = new List<ApiMigration>();
        foreach (var id in _migrations.Distinct())
        {
            ours.Add((await other.GetMigrationAsync(id, ct)).Value);
        }

        console.WriteLine();
        console.MarkupLine($"[bold]Migrations[/] (as {Markup.Escape(other.BaseAddress.ToString())} reports them)");
        console.Write(MigrationVerbs.Table(ours));
        return ours;
    }

    private async Task EvacuateAsync(string host, CancellationToken ct)
    {
        System.Text.Json.JsonElement job;
        try
        {
            var plan = await api.EvacuateAsync(host, dryRun: true, ct);
            console.MarkupLine($"  plan: {Markup.Escape(plan.Json.Trim())}");
            job = (await api.EvacuateAsync(host, "demo-" + Guid.NewGuid().ToString("N"), ct)).Value; // a key: a retried POST answers the same job
        }
        catch (ApiException e) when (e.Status is 404 or 405 && e.Message.Contains("evacuate", StringComparison.Ordinal) && !e.Message.Contains($"'{host}'", StringComparison.Ordinal))
        {
            console.MarkupLine($"  [yellow]skipped[/]: this build's API has no evacuation endpoint ({Markup.Escape(e.Message)})");
            return;
        }

        var jobId = InventoryVerbs.Text(job, "id") ?? "?";
        console.MarkupLine($"  evacuation {Markup.Escape(jobId)}: {InventoryVerbs.EvacuationMigrationIds(job).Count} migration(s)");

        // Followed through the job, not its migration ids: a workload the job could not start has an id that never
        // existed (GET answers 404), and the job says why.
        var watch = Stopwatch.StartNew();
        while (InventoryVerbs.Text(job, "state") is not ("Completed" or "Cancelled") && watch.Elapsed < options.MigrationTimeout * 2)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, ct);
            job = (await api.GetEvacuationAsync(jobId, ct)).Value;
        }

        console.MarkupLine($"  evacuation {Markup.Escape(jobId)}: {Markup.Escape(InventoryVerbs.Text(job, "state") ?? "?")}");
        foreach (var item in job.TryGetProperty("migrations", out var items) ? items.EnumerateArray().ToList() : [])
        {
            var (id, workload, state) = (InventoryVerbs.Text(item, "migration"), InventoryVerbs.Text(item, "workload"), InventoryVerbs.Text(item, "state"));
            console.MarkupLine($"  {Markup.Escape(workload ?? "?")}: {Markup.Escape(id ?? "?")} {Markup.Escape(state ?? "?")}");
            if (state == ApiMigration.Completed && id is not null)
            {
                _migrations.Add(id);
            }
            else
            {
                _failures.Add($"evacuation {jobId}: {workload} ended {state ?? "not at all"}, expected Completed{(InventoryVerbs.Text(item, "reason") is { } r ? $": {r}" : "")}");
            }
        }
    }

    private void Step(string title)
    {
        console.WriteLine();
        console.MarkupLine($"[bold]== {Markup.Escape(title)}[/]");
    }

    private async Task<string?> StartAsync(string workload, string target, CancellationToken ct)
    {
        try
        {
            var started = await StartRetryingAsync(workload, target, ct);
            Track(started);
            return started.Id;
        }
        catch (ApiException e) when (e.Kind is not ApiErrorKind.Unreachable)
        {
            _failures.Add($"migrate {workload} to {target}: {e.Message}");
            console.MarkupLine($"  [red]migrate {Markup.Escape(workload)} refused[/]: {Markup.Escape(e.Message)}");
            return null;
        }
    }

    /// <summary>
    /// Starts a migration with one idempotency key, retrying while the workload's previous migration still holds it (it
    /// ended a moment ago). The client itself sends it again with the same key when the node answered 5xx or not at all:
    /// a 503 "did not answer in time" on a loaded machine may come after the migration was accepted, and the key answers it.
    /// </summary>
    private async Task<ApiMigration> StartRetryingAsync(string workload, string target, CancellationToken ct)
    {
        var key = Guid.NewGuid().ToString("N");
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return (await api.StartMigrationAsync(workload, target, Policy, key, ct)).Value; // the client retries 5xx / no answer with the key
            }
            catch (ApiException e) when (e.Kind == ApiErrorKind.Conflict && e.Message.Contains("already migrating", StringComparison.Ordinal) &&
                                         watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
            }
        }
    }

    /// <summary>
    /// The demo's migrations switch over after at most 10 pre-copy rounds whatever the prediction says: how fast a round
    /// goes depends on the machine (both ends hash on the same cores), and the demo must end the same way on a slow one
    /// (on a loaded 2-core machine vm-web's rounds did not converge within the demo's wait).
    /// </summary>
    private static readonly IReadOnlyDictionary<string, object?> Policy = new Dictionary<string, object?>
    {
        ["maxPreCopyRounds"] = 10,
        ["nonConvergenceAction"] = "force",
    };

    private void Track(ApiMigration m)
    {
        _migrations.Add(m.Id);
        console.MarkupLine($"  {Markup.Escape(m.Id)}: {Markup.Escape(m.Workload)} {Markup.Escape(m.Source ?? "?")} -> {Markup.Escape(m.Target ?? "?")} accepted");
    }

    private async Task ExpectAsync(IReadOnlyList<string?> ids, string expected, CancellationToken ct)
    {
        var live = ids.OfType<string>().ToList();
        if (live.Count == 0)
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.MigrationTimeout);
        IReadOnlyList<ApiMigration> final;
        try
        {
            final = await new MigrationFollower(api, console, time) { PollInterval = TimeSpan.FromMilliseconds(150) }.FollowAsync(live, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _failures.Add($"{string.Join(", ", live)} did not end within {options.MigrationTimeout.TotalSeconds:0} s");
            console.MarkupLine($"  [red]not ended within {options.MigrationTimeout.TotalSeconds:0} s[/]");
            return;
        }

        foreach (var m in final)
        {
            if (m.State != expected)
            {
                _failures.Add($"{m.Id} ({m.Workload}) ended {m.State}, expected {expected}{(m.Reason is { } r ? $": {r}" : "")}");
            }
            else if (m.State == ApiMigration.RolledBack)
            {
                console.MarkupLine($"  [green]rolled back as expected[/] ({Markup.Escape(m.Id)})");
            }
        }
    }

    private async Task WaitForAsync(string id, Func<ApiMigration, bool> done, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < options.MigrationTimeout)
        {
            var m = (await api.GetMigrationAsync(id, ct)).Value;
            if (done(m))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), time, ct);
        }
    }

    private static bool Committed(ApiMigration m) => m.State is "Committed" or "TargetRunning" or "SourceReleased" or "Completed";
}
