using Orchestrator.Client;
using Spectre.Console;

namespace Orchestrator.Node.Cli.Client;

/// <summary>
/// Follows migrations until each is Completed, RolledBack or Failed. The API's Server-Sent Events stream wakes it when one of
/// them changes; without the stream it polls. On an interactive terminal it draws a progress bar per migration (bytes,
/// rounds, dirty rate, predicted downtime); otherwise it prints one line per change of state or round.
/// </summary>
internal sealed class MigrationFollower(OrchestratorApiClient api, IAnsiConsole console, TimeProvider time)
{
    /// <summary>How often to look when no event arrives.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Print change lines even on an interactive terminal (the demo's log mode).</summary>
    public bool Lines { get; init; }

    /// <summary>Show nothing (for <c>--json</c>, whose stdout is one JSON document).</summary>
    public bool Quiet { get; init; }

    /// <summary>Returns the final view of every migration, in the order given.</summary>
    public async Task<IReadOnlyList<ApiMigration>> FollowAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = new SemaphoreSlim(0);
        var listener = ListenAsync(ids, wake, stop.Token);
        try
        {
            if (Quiet)
            {
                return await LoopAsync(ids, wake, _ => { }, ct);
            }

            if (console.Profile.Capabilities.Interactive && !Lines)
            {
                IReadOnlyList<ApiMigration> final = [];
                await console.Progress()
                    .AutoClear(false)
                    .HideCompleted(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var tasks = ids.ToDictionary(id => id, id => progress.AddTask(Markup.Escape(id), maxValue: 100));
                        final = await LoopAsync(ids, wake, views =>
                        {
                            foreach (var m in views)
                            {
                                var task = tasks[m.Id];
                                task.Description = Describe(m, markup: true);
                                task.Value = Percent(m);
                                if (m.IsTerminal)
                                {
                                    task.StopTask();
                                }
                            }
                        }, ct);
                    });
                return final;
            }

            var seen = new Dictionary<string, string>();
            return await LoopAsync(ids, wake, views =>
            {
                foreach (var m in views)
                {
                    var key = $"{m.State}/{m.Progress?.Rounds}";
                    if (!seen.TryGetValue(m.Id, out var before) || before != key)
                    {
                        seen[m.Id] = key;
                        console.MarkupLine("  " + Describe(m, markup: true));
                    }
                }
            }, ct);
        }
        finally
        {
            await stop.CancelAsync();
            await listener;
        }
    }

    /// <summary>One line: id, workload, route, state, rounds, bytes, dirty rate, predicted or measured downtime.</summary>
    public static string Describe(ApiMigration m, bool markup)
    {
        var p = m.Progress;
        var code = m.Code is { } c ? " " + Esc(c, markup) : string.Empty;
        var state = m.State switch
        {
            ApiMigration.Completed => markup ? "[green]Completed[/]" : m.State,
            ApiMigration.RolledBack => markup ? $"[red]RolledBack{code}[/]" : $"RolledBack{code}",
            ApiMigration.Failed => markup ? $"[bold red]Failed{code}[/]" : $"Failed{code}",
            _ => markup ? $"[yellow]{Markup.Escape(m.State)}[/]" : m.State,
        };
        var text = $"{Esc(m.Id, markup)} {Esc(m.Workload, markup)} {Esc(m.Source ?? "?", markup)} -> {Esc(m.Target ?? "(placing)", markup)} {state}";
        if (p is not null)
        {
            text += $", {p.Rounds} round(s), {Units.Bytes(p.BytesTransferred)} sent";
            if (!m.IsTerminal)
            {
                text += $", {Units.Bytes(p.BytesRemaining)} left, dirty {Units.Rate(p.DirtyBytesPerSecond)}, predicted downtime {Units.Ms(p.PredictedDowntimeMs)}";
            }
        }

        if (m.State == ApiMigration.Completed)
        {
            text += $", downtime {Units.Ms(m.DowntimeMs)}";
        }

        if (m.State is ApiMigration.RolledBack or ApiMigration.Failed && m.Reason is { } reason)
        {
            text += $": {Esc(reason, markup)}";
        }

        return text;
    }

    private static string Esc(string text, bool markup) => markup ? Markup.Escape(text) : text;

    private static double Percent(ApiMigration m)
    {
        if (m.State == ApiMigration.Completed)
        {
            return 100;
        }

        var p = m.Progress;
        if (p is null || p.BytesTransferred + p.BytesRemaining <= 0)
        {
            return 0;
        }

        return Math.Min(99, 100.0 * p.BytesTransferred / (p.BytesTransferred + p.BytesRemaining));
    }

    private async Task<IReadOnlyList<ApiMigration>> LoopAsync(IReadOnlyList<string> ids, SemaphoreSlim wake, Action<IReadOnlyList<ApiMigration>> show, CancellationToken ct)
    {
        var latest = new Dictionary<string, ApiMigration>();
        while (true)
        {
            foreach (var id in ids)
            {
                if (!latest.TryGetValue(id, out var known) || !known.IsTerminal)
                {
                    latest[id] = (await api.GetMigrationAsync(id, ct)).Value;
                }
            }

            var views = ids.Select(id => latest[id]).ToList();
            show(views);
            if (views.All(v => v.IsTerminal))
            {
                return views;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                await Task.WhenAny(wake.WaitAsync(timeout.Token), Task.Delay(PollInterval, time, timeout.Token));
            }
            finally
            {
                await timeout.CancelAsync();
            }

            ct.ThrowIfCancellationRequested();
            while (wake.CurrentCount > 0)
            {
                await wake.WaitAsync(ct);
            }
        }
    }

    /// <summary>Wakes the loop when an event names one of the migrations; ends quietly when the stream is unavailable.</summary>
    private async Task ListenAsync(IReadOnlyList<string> ids, SemaphoreSlim wake, CancellationToken ct)
    {
        try
        {
            await foreach (var e in api.EventsAsync(ct))
            {
                if (ids.Any(id => e.Data.Contains(id, StringComparison.Ordinal)))
                {
                    wake.Release();
                }
            }
        }
        catch (Exception e) when (e is ApiException or OperationCanceledException or HttpRequestException or IOException)
        {
            // The stream is a hint; polling carries on.
        }
    }
}
