using System.CommandLine;
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
        var command = new Command("migrate", "Start a live migration of a workload's VFs") { workload, to, wait, key };
        options.AddTo(command);
        command.SetAction(options.Action(io, "migrate", async (c, parse, ct) =>
        {
            var name = ClientCommands.RequireName(parse.GetValue(workload), "workload");
            var target = parse.GetValue(to) is { } t ? ClientCommands.RequireName(t, "--to") : null;
            var idempotencyKey = ClientCommands.KeyOrNew(parse.GetValue(key));
            var started = await ClientCommands.WithKeyAsync(idempotencyKey, () => c.Api.StartMigrationAsync(name, target, idempotencyKey, ct), c.Io.Time, ct);
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

            return parse.GetValue(wait) ? await FollowAsync(c, m.Id, ct) : ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Migrations(CliIo io)
    {
        var options = new ClientOptions();
        var command = new Command("migrations", "List migrations: route, state, rounds, bytes, downtime, reason");
        options.AddTo(command);
        command.SetAction(options.Action(io, "migrations", async (c, _, ct) =>
        {
            var list = await c.Api.GetMigrationsAsync(ct);
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

    public static Command Watch(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var command = new Command("watch", "Follow a migration with a live progress bar until it ends; exit 1 if it rolled back") { id };
        options.AddTo(command);
        command.SetAction(options.Action(io, "watch", (c, parse, ct) => FollowAsync(c, ClientCommands.RequireName(parse.GetValue(id), "id"), ct)));
        return command;
    }

    public static Command Abort(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Migration id" };
        var wait = new Option<bool>("--wait") { Description = "Follow the rollback until it ends" };
        var command = new Command("abort", "Abort a migration (accepted until Committed; exit 4 after)") { id, wait };
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
            var final = await new MigrationFollower(c.Api, c.Io.Console, c.Io.Time) { Quiet = c.Json }.FollowAsync([migration], ct);
            if (c.Json)
            {
                c.PrintJson((await c.Api.GetMigrationAsync(migration, ct)).Json);
            }

            return final[0].State == ApiMigration.RolledBack ? ExitCodes.Ok : ExitCodes.Failed;
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
