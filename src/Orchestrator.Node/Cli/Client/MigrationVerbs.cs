using System.CommandLine;
using Orchestrator.Client;
using Spectre.Console;

namespace Orchestrator.Node.Cli.Client;

/// <summary><c>migrate</c>, <c>migrations</c>, <c>watch</c>, <c>abort</c> and <c>switchover</c>.</summary>
internal static class MigrationVerbs
{
    public static Command Migrate(CliIo io)
    {
        var options = new ClientOptions();
        var workload = new Argument<string>("workload") { Description = "Workload whose VFs migrate (all of them move together)" };
        var to = new Option<string?>("--to") { Description = "Target host (default: placement chooses)" };
        var wait = new Option<bool>("--wait") { Description = "Follow the migration until it ends; exit 1 if it rolled back" };
        var key = ClientCommands.IdempotencyKeyOption();
        var downtime = DowntimeOption();
        var bandwidth = BandwidthOption();
        var timeout = ClientCommands.TimeoutOption();
        var command = new Command("migrate", "Start a live migration of a workload's VFs") { workload, to, wait, key, downtime, bandwidth, timeout };
        options.AddTo(command);
        command.SetAction(options.Action(io, "migrate", async (c, parse, ct) =>
        {
            var name = ClientCommands.RequireName(parse.GetValue(workload), "workload");
            var target = parse.GetValue(to) is { } t ? ClientCommands.RequireName(t, "--to") : null;
            var idempotencyKey = ClientCommands.KeyOrNew(parse.GetValue(key));
            var policy = PolicyFields(parse.GetValue(downtime), parse.GetValue(bandwidth), clearBandwidth: false);
            var started = await c.Api.StartMigrationAsync(name, target, policy.Count == 0 ? null : policy, idempotencyKey, ct);
            var m = started.Value;
            if (c.Json && !parse.GetValue(wait))
            {
                c.PrintJson(started.Json);
                return ExitCodes.Ok;
            }

            if (!c.Json)
            {
                c.Io.Console.MarkupLine($"migration [cyan]{Markup.Escape(m.Id)}[/] accepted: {Markup.Escape(m.Workload)} from {Markup.Escape(m.Source ?? "?")} to {Markup.Escape(m.Target ?? target ?? "(placement chooses)")}");
            }

            return parse.GetValue(wait) ? await ClientCommands.WithinAsync(c, "migrate", parse.GetValue(timeout), t => FollowAsync(c, m.Id, t), ct) : ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Policy(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var downtime = DowntimeOption();
        var bandwidth = BandwidthOption();
        var noCap = new Option<bool>("--no-bandwidth-cap") { Description = "Remove the bandwidth cap" };
        var command = new Command("policy", "Change a running migration's downtime limit or bandwidth cap (until its switchover)") { id, downtime, bandwidth, noCap };
        options.AddTo(command);
        command.SetAction(options.Action(io, "policy", async (c, parse, ct) =>
        {
            var migration = ClientCommands.RequireName(parse.GetValue(id), "id");
            if (parse.GetValue(noCap) && parse.GetValue(bandwidth) is not null)
            {
                throw new BadInputException("--no-bandwidth-cap: cannot go with --bandwidth");
            }

            var change = PolicyFields(parse.GetValue(downtime), parse.GetValue(bandwidth), parse.GetValue(noCap));
            if (change.Count == 0)
            {
                throw new BadInputException("policy: give --downtime-ms, --bandwidth or --no-bandwidth-cap");
            }

            var changed = await c.Api.ChangePolicyAsync(migration, change, ct);
            if (c.Json)
            {
                c.PrintJson(changed.Json);
                return ExitCodes.Ok;
            }

            c.Io.Console.WriteLine($"migration {changed.Value.Id} ({changed.Value.State}): policy changed");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Option<double?> DowntimeOption() =>
        new("--downtime-ms") { Description = "Downtime limit in milliseconds (default: the node's policy.downtime-limit)" };

    private static Option<long?> BandwidthOption() =>
        new("--bandwidth") { Description = "Bandwidth cap of the state stream in bytes per second (default: the node's)" };

    /// <summary>The API's policy fields for what the options set.</summary>
    private static Dictionary<string, object?> PolicyFields(double? downtimeMs, long? bandwidth, bool clearBandwidth)
    {
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (downtimeMs is { } ms)
        {
            fields["downtimeLimitMs"] = ms;
        }

        if (bandwidth is { } b)
        {
            fields["bandwidthBytesPerSecond"] = b;
        }
        else if (clearBandwidth)
        {
            fields["bandwidthBytesPerSecond"] = null;
        }

        return fields;
    }

    public static Command Placement(CliIo io)
    {
        var options = new ClientOptions();
        var workload = new Argument<string>("workload") { Description = "Workload whose VFs would move" };
        var to = new Option<string?>("--to") { Description = "Only this target host" };
        var command = new Command("placement", "Where a migration of a workload would go, and why each other PF does not fit; reserves nothing (exit 4: no target)") { workload, to };
        options.AddTo(command);
        command.SetAction(options.Action(io, "placement", async (c, parse, ct) =>
        {
            var name = ClientCommands.RequireName(parse.GetValue(workload), "workload");
            var target = parse.GetValue(to) is { } t ? ClientCommands.RequireName(t, "--to") : null;
            var answer = await c.Api.QueryPlacementAsync(name, target, ct);
            var candidates = answer.Value.Candidates ?? [];
            if (c.Json)
            {
                c.PrintJson(answer.Json);
            }
            else
            {
                var table = new Table();
                table.AddColumns("", "Host", "PF", "VF", "Why not");
                foreach (var (candidate, i) in candidates.Select((x, i) => (x, i)))
                {
                    table.AddRow(i == 0 ? "[green]first choice[/]" : "fits", Markup.Escape(candidate.Host), Markup.Escape(candidate.Pf ?? "-"),
                        Markup.Escape($"{candidate.SourceVf ?? "?"} -> {candidate.TargetVf ?? "?"}"), "");
                }

                foreach (var rejected in answer.Value.Rejected ?? [])
                {
                    table.AddRow("[yellow]rejected[/]", Markup.Escape(rejected.Host ?? "-"), Markup.Escape(rejected.Pf ?? "-"), Markup.Escape(rejected.SourceVf ?? "-"),
                        Markup.Escape(rejected.Detail is { } d ? $"{rejected.Reason}: {d}" : rejected.Reason));
                }

                c.Io.Console.Write(table);
            }

            if (candidates.Count == 0)
            {
                c.Io.Error.WriteLine($"orchestrator placement: no target fits {name}{(target is null ? "" : $" on {target}")}");
                return ExitCodes.Conflict;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Migrations(CliIo io)
    {
        var options = new ClientOptions();
        var workload = new Option<string?>("--workload") { Description = "Only this workload's migrations" };
        var host = new Option<string?>("--host") { Description = "Only migrations from or to this host" };
        var state = new Option<string?>("--state") { Description = "Only these states (comma-separated), or active / ended" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default: all the node lists)" };
        var history = new Option<bool>("--history") { Description = "Every ended migration, however long ago, from the journal, in the order they ended" };
        var command = new Command("migrations", "List migrations: route, state, rounds, bytes, downtime, reason") { workload, host, state, limit, history };
        options.AddTo(command);
        command.SetAction(options.Action(io, "migrations", async (c, parse, ct) =>
        {
            if (parse.GetValue(limit) is < 1 and var bad)
            {
                throw new BadInputException($"--limit: bad value '{bad}'; expected 1 or more");
            }

            if (parse.GetValue(history) && parse.GetValue(state) is { } ended)
            {
                throw new BadInputException($"--state: '{ended}' cannot go with --history (it lists ended migrations only)");
            }

            var filter = new MigrationFilter(parse.GetValue(workload), parse.GetValue(host), parse.GetValue(state), Limit: parse.GetValue(limit) ?? int.MaxValue);
            var list = parse.GetValue(history)
                ? await c.Api.GetMigrationHistoryAsync(filter.Workload, filter.Host, filter.Limit, ct)
                : await c.Api.GetMigrationsAsync(filter, ct);
            if (c.Json)
            {
                c.PrintJson(list.Json);
                return ExitCodes.Ok;
            }

            c.Io.Console.Write(Table(list.Value));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Show(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var command = new Command("show", "One migration, once: route, state and code, progress, policy, queue position, checkpoints") { id };
        options.AddTo(command);
        command.SetAction(options.Action(io, "show", async (c, parse, ct) =>
        {
            var answer = await c.Api.GetMigrationAsync(ClientCommands.RequireName(parse.GetValue(id), "id"), ct);
            if (c.Json)
            {
                c.PrintJson(answer.Json);
                return ExitCodes.Ok;
            }

            var m = answer.Value;
            c.Io.Console.MarkupLine(MigrationFollower.Describe(m, markup: true));
            if (m.Status is { } status)
            {
                c.Io.Console.WriteLine($"  status: {status}{(m.QueuePosition is { } position ? $", {position} in the queue (1 is next)" : "")}");
            }

            if (m.Policy is { } p)
            {
                c.Io.Console.WriteLine($"  policy: downtime limit {Units.Ms(p.DowntimeLimitMs)}, bandwidth {(p.BandwidthBytesPerSecond is { } b ? Units.Rate(b) : "uncapped")}, "
                    + $"at most {p.MaxPreCopyRounds} pre-copy rounds, then {p.NonConvergenceAction}; progress timeout {p.ProgressTimeoutSeconds} s; "
                    + $"switchover-ack wait {Units.Ms(p.SwitchoverAckWaitMs)}");
            }

            foreach (var checkpoint in m.Checkpoints ?? [])
            {
                c.Io.Console.WriteLine($"  {checkpoint.At:HH:mm:ss.fff} {checkpoint.State}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Watch(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var timeout = ClientCommands.TimeoutOption();
        var command = new Command("watch", "Follow a migration with a live progress bar until it ends; exit 1 if it rolled back") { id, timeout };
        options.AddTo(command);
        command.SetAction(options.Action(io, "watch", (c, parse, ct) =>
            ClientCommands.WithinAsync(c, "watch", parse.GetValue(timeout), t => FollowAsync(c, ClientCommands.RequireName(parse.GetValue(id), "id"), t), ct)));
        return command;
    }

    public static Command Abort(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var wait = new Option<bool>("--wait") { Description = "Follow the rollback until it ends" };
        var timeout = ClientCommands.TimeoutOption();
        var command = new Command("abort", "Abort a migration (accepted until Committed; exit 4 after)") { id, wait, timeout };
        options.AddTo(command);
        command.SetAction(options.Action(io, "abort", async (c, parse, ct) =>
        {
            var migration = ClientCommands.RequireName(parse.GetValue(id), "id");
            var answer = await c.Api.AbortAsync(migration, ct);
            if (c.Json && !parse.GetValue(wait))
            {
                c.PrintJson(string.IsNullOrWhiteSpace(answer.Json) ? $"{{\"id\":\"{migration}\",\"abort\":\"requested\"}}" : answer.Json);
                return ExitCodes.Ok;
            }

            if (!c.Json)
            {
                c.Io.Console.MarkupLine($"abort requested: {Markup.Escape(migration)}{(answer.Value is { } m ? $" is {Markup.Escape(m.State)}" : "")}");
            }

            if (!parse.GetValue(wait))
            {
                return ExitCodes.Ok;
            }

            // Waiting for an abort succeeds when the migration ends rolled back.
            return await ClientCommands.WithinAsync(c, "abort", parse.GetValue(timeout), async t =>
            {
                var final = await new MigrationFollower(c.Api, c.Io.Console, c.Io.Time) { Quiet = c.Json }.FollowAsync([migration], t);
                if (c.Json)
                {
                    c.PrintJson((await c.Api.GetMigrationAsync(migration, t)).Json);
                }

                return final[0].State == ApiMigration.RolledBack ? ExitCodes.Ok : ExitCodes.Failed;
            }, ct);
        }));
        return command;
    }

    public static Command Switchover(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var force = new Option<bool>("--force") { Description = "Switch over now, even before pre-copy converged (longer downtime)" };
        var command = new Command("switchover", "Ask a pre-copying migration to stop the source and switch over") { id, force };
        options.AddTo(command);
        command.SetAction(options.Action(io, "switchover", async (c, parse, ct) =>
        {
            var migration = ClientCommands.RequireName(parse.GetValue(id), "id");
            var answer = await c.Api.SwitchoverAsync(migration, parse.GetValue(force), ct);
            if (c.Json)
            {
                c.PrintJson(string.IsNullOrWhiteSpace(answer.Json) ? $"{{\"id\":\"{migration}\",\"switchover\":\"requested\"}}" : answer.Json);
            }
            else
            {
                c.Io.Console.MarkupLine($"switchover requested: {Markup.Escape(migration)}{(answer.Value is { } m ? $" is {Markup.Escape(m.State)}" : "")}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The migrations table of <c>migrations</c> and of the demo's end.</summary>
    internal static Table Table(IEnumerable<ApiMigration> migrations)
    {
        var table = new Table();
        table.AddColumns("Migration", "Workload", "Source", "Target", "State", "Epoch", "Rounds", "Bytes", "Downtime", "Reason");
        foreach (var m in migrations)
        {
            var state = m.State switch
            {
                ApiMigration.Completed => "[green]Completed[/]",
                ApiMigration.RolledBack => "[red]RolledBack[/]",
                ApiMigration.Failed => $"[bold red]Failed {Markup.Escape(m.Code ?? string.Empty)}[/]",
                _ => Markup.Escape(m.State),
            };
            table.AddRow(
                Markup.Escape(m.Id), Markup.Escape(m.Workload), Markup.Escape(m.Source ?? "-"), Markup.Escape(m.Target ?? "-"), state,
                $"{m.Epoch}", $"{m.Progress?.Rounds ?? 0}", Units.Bytes(m.Progress?.BytesTransferred ?? 0), Units.Ms(m.DowntimeMs), Markup.Escape(m.Reason ?? ""));
        }

        return table;
    }

    private static async Task<int> FollowAsync(ClientContext c, string id, CancellationToken ct)
    {
        var follower = new MigrationFollower(c.Api, c.Io.Console, c.Io.Time) { Quiet = c.Json };
        var final = (await follower.FollowAsync([id], ct))[0];
        if (c.Json)
        {
            c.PrintJson((await c.Api.GetMigrationAsync(id, ct)).Json);
        }
        else
        {
            c.Io.Console.MarkupLine(MigrationFollower.Describe(final, markup: true));
        }

        return final.State == ApiMigration.Completed ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
