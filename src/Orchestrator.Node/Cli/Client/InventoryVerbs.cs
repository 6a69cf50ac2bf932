using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Client;
using Spectre.Console;

namespace Orchestrator.Node.Cli.Client;

/// <summary><c>hosts</c>, <c>vfs</c>, <c>vf</c>, <c>destroy-vf</c>, <c>cordon</c>, <c>evacuate</c>, <c>evacuations</c> and <c>reconcile</c>.</summary>
internal static class InventoryVerbs
{
    public static Command Hosts(CliIo io)
    {
        var options = new ClientOptions();
        var command = new Command("hosts", "List hosts with their PFs: driver, firmware, migration flags, free VF and migration slots");
        options.AddTo(command);
        command.SetAction(options.Action(io, "hosts", async (c, _, ct) =>
        {
            var hosts = await c.Api.GetHostsAsync(ct);
            if (c.Json)
            {
                c.PrintJson(hosts.Json);
                return ExitCodes.Ok;
            }

            c.Io.Console.Write(HostsTable(hosts.Value));
            c.Io.Console.WriteLine($"{hosts.Value.Count} host(s), {hosts.Value.Sum(h => h.PfList.Count)} PF(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>One row per PF, grouped by host (the <c>hosts</c> verb and the demo).</summary>
    internal static Table HostsTable(IEnumerable<ApiHost> hosts)
    {
        var table = new Table();
        table.AddColumns("Host", "Node", "Cordoned", "PF", "Driver", "Device type", "Firmware", "Flags", "VFs", "Free VF slots", "Free migration slots");
        foreach (var h in hosts.OrderBy(h => h.Id, StringComparer.Ordinal))
        {
            var first = true;
            foreach (var pf in h.PfList)
            {
                table.AddRow(
                    first ? Markup.Escape(h.Id) : "",
                    first ? Markup.Escape(h.Node ?? "-") : "",
                    first ? (h.Cordoned ? "[yellow]yes[/]" : "no") : "",
                    Markup.Escape(pf.Id), Markup.Escape(pf.Driver ?? "-"), Markup.Escape(pf.DeviceType ?? "-"), Markup.Escape(pf.Firmware ?? "-"),
                    Markup.Escape(pf.MigrationFlags ?? "-"), $"{pf.VfList.Count}/{pf.MaxVfs}", $"{pf.FreeVfSlots}", $"{pf.FreeMigrationSlots}");
                first = false;
            }

            if (first)
            {
                table.AddRow(Markup.Escape(h.Id), Markup.Escape(h.Node ?? "-"), h.Cordoned ? "[yellow]yes[/]" : "no", "-", "", "", "", "", "", "", "");
            }
        }

        return table;
    }

    public static Command DestroyVf(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "VF id: host/pf-address/vfN" };
        var force = new Option<bool>("--force") { Description = "Destroy it even though it serves a workload (never while a migration holds it)" };
        var command = new Command("destroy-vf", "Destroy a VF (exit 4 while a migration holds it, or if it serves a workload without --force)") { id, force };
        options.AddTo(command);
        command.SetAction(options.Action(io, "destroy-vf", async (c, parse, ct) =>
        {
            var vf = VfArgument(parse.GetValue(id));
            var answer = await c.Api.DestroyVfAsync(vf, parse.GetValue(force), ct);
            if (c.Json)
            {
                c.PrintJson(answer.Json);
                return ExitCodes.Ok;
            }

            c.Io.Console.MarkupLine($"destroyed: {Markup.Escape(answer.Value.Id)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>orchestrator vf ID</c>: one VF as its own actor holds it, with its last VFIO transitions.</summary>
    public static Command Vf(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string>("id") { Description = "VF id: host/pf-address/vfN" };
        var command = new Command("vf", "One VF: kind, profile, workload, the VFIO state its PF last observed and its last transitions (migration, epoch)") { id };
        options.AddTo(command);
        command.SetAction(options.Action(io, "vf", async (c, parse, ct) =>
        {
            var vf = VfArgument(parse.GetValue(id));
            var answer = await c.Api.GetVfAsync(vf, history: true, ct);
            if (c.Json)
            {
                c.PrintJson(answer.Json);
                return ExitCodes.Ok;
            }

            var v = answer.Value;
            c.Io.Console.MarkupLine($"{Markup.Escape(v.Id)}: {Markup.Escape(v.Kind ?? "-")}, profile {Markup.Escape(v.Profile ?? "-")}, workload {Markup.Escape(v.Workload ?? "-")}, state {Markup.Escape(v.State ?? "-")}{(v.Migration is { } m ? $", held by {Markup.Escape(m)}" : "")}");
            var table = new Table();
            table.AddColumns("At (UTC)", "From", "To", "Migration", "Epoch");
            foreach (var t in v.History ?? [])
            {
                table.AddRow(t.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), t.From, t.To, Markup.Escape(t.Migration ?? "-"), t.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "-");
            }

            c.Io.Console.Write(table);
            c.Io.Console.WriteLine($"{v.History?.Count ?? 0} transition(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Vfs(CliIo io)
    {
        var options = new ClientOptions();
        var host = new Option<string?>("--host") { Description = "Only the VFs of this host" };
        var workload = new Option<string?>("--workload") { Description = "Only the VFs of this workload" };
        var command = new Command("vfs", "List VFs: host, PF, kind, profile, workload and VFIO state") { host, workload };
        options.AddTo(command);
        command.SetAction(options.Action(io, "vfs", async (c, parse, ct) =>
        {
            var onlyHost = parse.GetValue(host);
            var onlyWorkload = parse.GetValue(workload);
            var hosts = await c.Api.GetHostsAsync(ct);
            if (onlyHost is not null && hosts.Value.All(h => h.Id != onlyHost))
            {
                throw new ApiException(ApiErrorKind.NotFound, 404, $"--host: host '{onlyHost}' is not in the inventory");
            }

            var rows = hosts.Value
                .Where(h => onlyHost is null || h.Id == onlyHost)
                .SelectMany(h => h.PfList.SelectMany(pf => pf.VfList.Select(vf => (Host: h.Id, Pf: pf.Id, Vf: vf))))
                .Where(r => onlyWorkload is null || r.Vf.Workload == onlyWorkload)
                .OrderBy(r => r.Vf.Id, StringComparer.Ordinal)
                .ToList();
            if (c.Json)
            {
                c.PrintJson(JsonSerializer.Serialize(rows.Select(r => new { host = r.Host, pf = r.Pf, r.Vf.Id, r.Vf.Kind, r.Vf.Profile, r.Vf.Workload, r.Vf.State }), OrchestratorApiClient.Json));
                return ExitCodes.Ok;
            }

            var table = new Table();
            table.AddColumns("VF", "Host", "Kind", "Profile", "Workload", "State");
            foreach (var (h, _, vf) in rows)
            {
                table.AddRow(Markup.Escape(vf.Id), Markup.Escape(h), Markup.Escape(vf.Kind ?? "-"), Markup.Escape(vf.Profile ?? "-"),
                    Markup.Escape(vf.Workload ?? "-"), Markup.Escape(vf.State ?? "-"));
            }

            c.Io.Console.Write(table);
            c.Io.Console.WriteLine($"{rows.Count} VF(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Cordon(CliIo io)
    {
        var options = new ClientOptions();
        var host = new Argument<string>("host") { Description = "Host to cordon (no new migrations target it)" };
        var undo = new Option<bool>("--undo") { Description = "Uncordon the host" };
        var reason = new Option<string?>("--reason") { Description = "Why (kept with the cordon, shown to operators)" };
        var command = new Command("cordon", "Cordon a host so placement no longer targets it (--undo to uncordon)") { host, undo, reason };
        options.AddTo(command);
        command.SetAction(options.Action(io, "cordon", async (c, parse, ct) =>
        {
            var id = ClientCommands.RequireName(parse.GetValue(host), "host");
            var cordon = !parse.GetValue(undo);
            if (!cordon && parse.GetValue(reason) is not null)
            {
                throw new BadInputException("--reason: goes with a cordon, not with --undo");
            }

            var answer = await c.Api.CordonAsync(id, cordon, parse.GetValue(reason), ct);
            if (c.Json)
            {
                c.PrintJson(string.IsNullOrWhiteSpace(answer.Json) ? JsonSerializer.Serialize(new { host = id, cordoned = cordon }) : answer.Json);
            }
            else
            {
                c.Io.Console.WriteLine($"{id}: {(cordon ? "cordoned" : "uncordoned")}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Reconcile(CliIo io)
    {
        var options = new ClientOptions();
        var host = new Argument<string>("host") { Description = "Host whose devices are compared with the migrations" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Compare only: say what a run would clean, clean nothing" };
        var last = new Option<bool>("--last") { Description = "Show the last run instead of running now" };
        var command = new Command("reconcile", "Run a host's reconciler now: clean what ended migrations left (exit 4 when it could not compare)") { host, dryRun, last };
        options.AddTo(command);
        command.SetAction(options.Action(io, "reconcile", async (c, parse, ct) =>
        {
            var id = ClientCommands.RequireName(parse.GetValue(host), "host");
            if (parse.GetValue(last) && parse.GetValue(dryRun))
            {
                throw new BadInputException("--last and --dry-run: give one (--last shows the last run, --dry-run compares now)");
            }

            var answer = await c.Api.ReconcileAsync(id, run: !parse.GetValue(last), dryRun: parse.GetValue(dryRun), ct);
            var r = answer.Value;
            if (c.Json)
            {
                c.PrintJson(answer.Json);
            }
            else
            {
                var what = r.DryRun ? "dry run" : $"run ({r.Trigger})";
                c.Io.Console.WriteLine($"{r.Host}: {what} at {r.At:u}, {r.CheckedVfs} VF(s) checked");
                var rows = (r.DryRun ? r.Planned ?? [] : r.Cleaned ?? []).Select(l => (r.DryRun ? "would clean" : "cleaned", l))
                    .Concat((r.Left ?? []).Select(l => ("left alone", l))).ToList();
                if (rows.Count > 0)
                {
                    var table = new Table();
                    table.AddColumns("", "Action", "VF or PF", "Migration", "Why");
                    foreach (var (kind, l) in rows)
                    {
                        table.AddRow(kind, Markup.Escape(l.Action ?? "-"), Markup.Escape(l.Vf ?? l.Pf ?? "-"), Markup.Escape(l.Migration ?? "-"), Markup.Escape(l.Reason));
                    }

                    c.Io.Console.Write(table);
                }
                else if (r.Skipped is null)
                {
                    c.Io.Console.WriteLine("nothing left behind");
                }
            }

            if (r.Skipped is { } skipped)
            {
                c.Io.Error.WriteLine($"orchestrator reconcile: {id} compared nothing: {skipped}");
                return ExitCodes.Conflict;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Evacuate(CliIo io)
    {
        var options = new ClientOptions();
        var host = new Argument<string>("host") { Description = "Host to empty: every workload VF migrates away" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan (which workload goes where) without moving anything" };
        var wait = new Option<bool>("--wait") { Description = "Follow the evacuation's migrations until they end" };
        var timeout = ClientCommands.TimeoutOption();
        var key = ClientCommands.IdempotencyKeyOption();
        var command = new Command("evacuate", "Migrate every workload off a host (a persistent evacuation job)") { host, dryRun, wait, key, timeout };
        options.AddTo(command);
        command.SetAction(options.Action(io, "evacuate", async (c, parse, ct) =>
        {
            var id = ClientCommands.RequireName(parse.GetValue(host), "host");
            var idempotencyKey = ClientCommands.KeyOrNew(parse.GetValue(key));
            var answer = parse.GetValue(dryRun)
                ? await c.Api.EvacuateAsync(id, dryRun: true, ct)
                : await c.Api.EvacuateAsync(id, idempotencyKey, ct);
            var job = answer.Value;
            var migrations = EvacuationMigrationIds(job);
            if (c.Json)
            {
                c.PrintJson(answer.Json);
            }
            else
            {
                c.Io.Console.WriteLine(parse.GetValue(dryRun) ? $"evacuation plan for {id}:" : $"evacuation {Text(job, "id") ?? "?"} of {id}: {Text(job, "state") ?? "accepted"}");
                PrintEvacuation(c.Io.Console, job);
            }

            if (!parse.GetValue(wait) || parse.GetValue(dryRun) || migrations.Count == 0)
            {
                return ExitCodes.Ok;
            }

            return await ClientCommands.WithinAsync(c, "evacuate", parse.GetValue(timeout), async t =>
            {
                var final = await new MigrationFollower(c.Api, c.Io.Console, c.Io.Time) { Quiet = c.Json }.FollowAsync(migrations, t);
                return final.All(m => m.State == ApiMigration.Completed) ? ExitCodes.Ok : ExitCodes.Failed;
            }, ct);
        }));
        return command;
    }

    public static Command Evacuations(CliIo io)
    {
        var options = new ClientOptions();
        var id = new Argument<string?>("id") { Description = "An evacuation job (default: list them)", Arity = ArgumentArity.ZeroOrOne };
        var cancel = new Option<bool>("--cancel") { Description = "Cancel the job: nothing more starts, migrations not yet Committed roll back" };
        var host = new Option<string?>("--host") { Description = "List only the jobs of this host" };
        var state = new Option<string?>("--state") { Description = "List only these states (comma-separated: Running, Cancelling, Completed, Cancelled), or active / ended" };
        var command = new Command("evacuations", "List evacuation jobs, show one, or cancel one") { id, cancel, host, state };
        options.AddTo(command);
        command.SetAction(options.Action(io, "evacuations", async (c, parse, ct) =>
        {
            if (parse.GetValue(id) is not { } jobText)
            {
                if (parse.GetValue(cancel))
                {
                    throw new BadInputException("--cancel: needs the id of the job to cancel");
                }

                var list = await c.Api.GetEvacuationsAsync(parse.GetValue(host), parse.GetValue(state), ct);
                if (c.Json)
                {
                    c.PrintJson(list.Json);
                    return ExitCodes.Ok;
                }

                var table = new Table();
                table.AddColumns("Evacuation", "Host", "State", "Completed", "Rolled back", "Failed", "Cancelled", "Pending", "Updated");
                foreach (var job in list.Value)
                {
                    table.AddRow(new[] { "id", "host", "state", "completed", "rolledBack", "failed", "cancelled", "pending", "updatedAt" }.Select(f => Markup.Escape(Text(job, f) ?? "-")).ToArray());
                }

                c.Io.Console.Write(table);
                return ExitCodes.Ok;
            }

            var jobId = ClientCommands.RequireName(jobText, "id");
            var answer = parse.GetValue(cancel) ? await c.Api.CancelEvacuationAsync(jobId, ct) : await c.Api.GetEvacuationAsync(jobId, ct);
            if (c.Json)
            {
                c.PrintJson(answer.Json);
                return ExitCodes.Ok;
            }

            c.Io.Console.WriteLine($"evacuation {jobId} of {Text(answer.Value, "host") ?? "?"}: {Text(answer.Value, "state") ?? "?"}");
            PrintEvacuation(c.Io.Console, answer.Value);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The migration ids an evacuation job names: <c>migrations</c> as strings or objects with <c>id</c>.</summary>
    internal static IReadOnlyList<string> EvacuationMigrationIds(JsonElement job)
    {
        if (job.ValueKind != JsonValueKind.Object || !job.TryGetProperty("migrations", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return [.. list.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : Text(e, "id") ?? Text(e, "migration"))
            .OfType<string>()];
    }

    internal static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => v.GetRawText(),
        } : null;

    private static void PrintEvacuation(IAnsiConsole console, JsonElement job)
    {
        var items = job.ValueKind == JsonValueKind.Array ? job : FirstArray(job, "plan", "items", "migrations");
        if (items is not { } list || list.GetArrayLength() == 0)
        {
            console.WriteLine(job.ValueKind == JsonValueKind.Undefined ? "(no answer body)" : "  nothing to move");
            return;
        }

        var table = new Table();
        table.AddColumns("Workload", "Target", "Migration", "State", "Reason");
        foreach (var e in list.EnumerateArray())
        {
            table.AddRow(
                Markup.Escape(Text(e, "workload") ?? "-"),
                Markup.Escape(Text(e, "target") ?? Text(e, "host") ?? "-"),
                Markup.Escape(e.ValueKind == JsonValueKind.String ? e.GetString()! : Text(e, "id") ?? Text(e, "migration") ?? "-"),
                Markup.Escape(Text(e, "state") ?? "-"),
                Markup.Escape(Text(e, "reason") ?? ""));
        }

        console.Write(table);
    }

    private static JsonElement? FirstArray(JsonElement e, params string[] names)
    {
        foreach (var name in names)
        {
            if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>A VF id as the server parses it (host/pf-address/vfN), or bad input naming it.</summary>
    private static string VfArgument(string? vf)
    {
        var parts = vf?.Split('/') ?? [];
        if (parts.Length != 3 || parts.Any(p => p.Length == 0 || p.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch))) || !parts[2].StartsWith("vf", StringComparison.Ordinal))
        {
            throw new BadInputException($"id: bad value '{vf}'; expected host/pf-address/vfN");
        }

        return vf!;
    }
}
