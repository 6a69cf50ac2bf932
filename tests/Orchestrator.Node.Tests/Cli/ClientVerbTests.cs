using System.CommandLine;
using System.Text.Json;
using Orchestrator.Client;
using Orchestrator.Node.Cli.Client;
using Spectre.Console;

namespace Orchestrator.Node.Tests.Cli;

/// <summary>The client verbs against <see cref="FakeApi"/>: output, JSON, exit codes, headers.</summary>
public sealed class ClientVerbTests : IAsyncLifetime
{
    private FakeApi _api = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-cli-").FullName;

    public async Task InitializeAsync() => _api = await FakeApi.StartAsync();

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Exit, string Human, string Out, string Error)> Run(string args, Dictionary<string, string>? env = null, bool withApi = true)
    {
        var human = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(human),
        });
        console.Profile.Width = 250;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var io = new CliIo(console, stdout, stderr, TimeProvider.System, name => env is not null && env.TryGetValue(name, out var v) ? v : null, _dir);
        var root = new RootCommand();
        foreach (var c in ClientCommands.Create(io))
        {
            root.Add(c);
        }

        var all = withApi ? $"{args} --api {_api.Address} --token {FakeApi.Token}" : args;
        var exit = await root.Parse(all).InvokeAsync();
        return (exit, human.ToString(), stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Hosts_prints_a_table_of_pfs_and_accepts_flags_as_string_or_array()
    {
        var (exit, human, _, error) = await Run("hosts");
        Assert.True(exit == 0, error);
        Assert.Contains("host-a/0000:3b:00.0", human, StringComparison.Ordinal);
        Assert.Contains("STOP_COPY|P2P|PRE_COPY", human, StringComparison.Ordinal);
        Assert.Contains("STOP_COPY|P2P ", human, StringComparison.Ordinal);
        Assert.Contains("2 host(s), 2 PF(s)", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hosts_json_is_the_servers_document()
    {
        var (exit, _, stdout, _) = await Run("hosts --json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("host-a", doc.RootElement[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Vfs_lists_every_vf_and_filters_by_workload()
    {
        var (exit, _, stdout, _) = await Run("vfs --workload vm-web --json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        var vf = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("host-a/0000:3b:00.0/vf0", vf.GetProperty("id").GetString());
        Assert.Equal("RUNNING", vf.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Vfs_of_an_unknown_host_is_not_found()
    {
        var (exit, _, _, error) = await Run("vfs --host host-z");
        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Contains("'host-z'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_sends_an_idempotency_key_and_the_same_key_answers_the_same_migration()
    {
        var (exit1, _, out1, _) = await Run("migrate vm-web --to host-b --idempotency-key k1 --json");
        var (exit2, _, out2, _) = await Run("migrate vm-web --to host-b --idempotency-key k1 --json");
        Assert.Equal(0, exit1);
        Assert.Equal(0, exit2);
        Assert.Equal(JsonDocument.Parse(out1).RootElement.GetProperty("id").GetString(), JsonDocument.Parse(out2).RootElement.GetProperty("id").GetString());
        var posts = _api.Requests.Where(r => r.Method == "POST" && r.Path == "/api/v1/migrations").ToList();
        Assert.Equal(2, posts.Count);
        Assert.All(posts, p => Assert.Equal("k1", p.Key));
        Assert.All(posts, p => Assert.Equal($"Bearer {FakeApi.Token}", p.Auth));
        Assert.Contains("\"target\":\"host-b\"", posts[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_without_a_key_makes_a_new_one_each_time()
    {
        await Run("migrate vm-web");
        await Run("migrate vm-web");
        var keys = _api.Requests.Where(r => r.Path == "/api/v1/migrations").Select(r => r.Key).ToList();
        Assert.Equal(2, keys.Distinct().Count());
        Assert.All(keys, k => Assert.False(string.IsNullOrEmpty(k)));
    }

    [Fact]
    public async Task Migrate_wait_follows_to_completed_and_exits_0()
    {
        var (exit, human, _, error) = await Run("migrate vm-web --wait");
        Assert.True(exit == 0, error + human);
        Assert.Contains("PreCopying", human, StringComparison.Ordinal);
        Assert.Contains("Completed", human, StringComparison.Ordinal);
        Assert.Contains("downtime 4.3 ms", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_wait_exits_1_when_the_migration_rolled_back_and_shows_the_reason()
    {
        _api.Script = ["Requested", "RollingBack", "RolledBack"];
        _api.RollbackReason = "placement: host-c/0000:3b:00.0 firmware 28.39.2048 differs from 28.41.1000";
        var (exit, human, _, _) = await Run("migrate vm-web --to host-c --wait");
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("RolledBack", human, StringComparison.Ordinal);
        Assert.Contains("firmware 28.39.2048", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_wait_json_prints_only_the_final_document()
    {
        var (exit, _, stdout, _) = await Run("migrate vm-web --wait --json");
        Assert.Equal(0, exit);
        Assert.Equal("Completed", JsonDocument.Parse(stdout).RootElement.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("migrate vm-nope", ExitCodes.NotFound, "'vm-nope'")]
    [InlineData("migrate vm-web --to host-bad!", ExitCodes.BadInput, "'host-bad!'")]
    [InlineData("watch m-404", ExitCodes.NotFound, "'m-404'")]
    [InlineData("abort m-404", ExitCodes.NotFound, "'m-404'")]
    [InlineData("cordon host-z", ExitCodes.NotFound, "'host-z'")]
    public async Task Server_errors_map_to_exit_codes_and_name_the_value(string args, int expected, string named)
    {
        var (exit, _, _, error) = await Run(args);
        Assert.Equal(expected, exit);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate \"vm web\"", "'vm web'")]
    [InlineData("cordon a/b", "'a/b'")]
    [InlineData("watch \" \"", "' '")]
    public async Task Bad_names_are_refused_before_any_call(string args, string named)
    {
        var (exit, _, _, error) = await Run(args);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task A_bad_api_address_is_bad_input_naming_it()
    {
        var (exit, _, _, error) = await Run("hosts --api not-a-url", withApi: false);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("'not-a-url'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_api_exits_5()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var (exit, _, _, error) = await Run($"hosts --api http://127.0.0.1:{port}", withApi: false);
        Assert.Equal(ExitCodes.Unreachable, exit);
        Assert.Contains($"127.0.0.1:{port}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_token_is_refused_with_exit_5_and_says_where_tokens_come_from()
    {
        var (exit, _, _, error) = await Run($"cordon host-a --api {_api.Address}", withApi: false);
        Assert.Equal(ExitCodes.Unreachable, exit);
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.Contains("ORCHESTRATOR_TOKEN", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_CA_file_is_refused_naming_it_before_any_request()
    {
        var (exit, _, _, error) = await Run($"hosts --api {_api.Address} --ca /nonexistent/ca.pem", withApi: false);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("--ca: CA file '/nonexistent/ca.pem' does not exist", error, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Api_and_token_come_from_the_environment()
    {
        var env = new Dictionary<string, string> { ["ORCHESTRATOR_API"] = _api.Address.ToString(), ["ORCHESTRATOR_TOKEN"] = FakeApi.Token };
        var (exit, human, _, error) = await Run("cordon host-a", env, withApi: false);
        Assert.True(exit == 0, error);
        Assert.Contains("host-a: cordoned", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_comes_from_the_demo_token_file()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".orchestrator"));
        await File.WriteAllTextAsync(Path.Combine(_dir, ClientOptions.DemoTokenFile), FakeApi.Token + "\n");
        var (exit, human, _, error) = await Run($"cordon host-a --undo --api {_api.Address}", withApi: false);
        Assert.True(exit == 0, error);
        Assert.Contains("host-a: uncordoned", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Path == "/api/v1/hosts/host-a/uncordon");
    }

    [Fact]
    public async Task Abort_after_commit_is_a_conflict()
    {
        _api.AddMigration("m-done", "vm-web", "Completed");
        await Run("watch m-done");
        var (exit, _, _, error) = await Run("abort m-done");
        Assert.Equal(ExitCodes.Conflict, exit);
        Assert.Contains("abort is accepted until Committed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Abort_wait_succeeds_when_the_migration_rolls_back()
    {
        _api.AddMigration("m-ab", "vm-web", "PreCopying", "RollingBack", "RolledBack");
        var (exit, human, _, error) = await Run("abort m-ab --wait");
        Assert.True(exit == 0, error + human);
        Assert.Contains("abort requested: m-ab", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Method == "DELETE" && r.Path == "/api/v1/migrations/m-ab");
    }

    [Fact]
    public async Task Destroy_vf_is_a_conflict_without_force_and_sends_force_with_it()
    {
        var (refused, _, _, error) = await Run("destroy-vf host-a/0000:3b:00.0/vf0");
        Assert.Equal(ExitCodes.Conflict, refused);
        Assert.Contains("serves workload vm-web", error, StringComparison.Ordinal);

        var (exit, human, _, forcedError) = await Run("destroy-vf host-a/0000:3b:00.0/vf0 --force");
        Assert.True(exit == 0, forcedError);
        Assert.Contains("destroyed: host-a/0000:3b:00.0/vf0", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Method == "DELETE" && r.Path == "/api/v1/vfs/host-a/0000:3b:00.0/vf0?force=true");

        var (bad, _, _, badError) = await Run("destroy-vf vf0");
        Assert.Equal(ExitCodes.BadInput, bad);
        Assert.Contains("'vf0'", badError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switchover_force_is_sent()
    {
        _api.AddMigration("m-sw", "vm-web", "PreCopying");
        var (exit, _, _, _) = await Run("switchover m-sw --force");
        Assert.Equal(0, exit);
        Assert.Contains(_api.Requests, r => r.Method == "POST" && r.Path == "/api/v1/migrations/m-sw/switchover?force=true");
    }

    [Fact]
    public async Task Migrations_lists_a_table()
    {
        _api.AddMigration("m-list", "vm-db", "Completed");
        var (exit, human, _, _) = await Run("migrations");
        Assert.Equal(0, exit);
        Assert.Contains("m-list", human, StringComparison.Ordinal);
        Assert.Contains("vm-db", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrations_follows_the_pages_sends_the_filters_and_stops_at_the_limit()
    {
        foreach (var i in Enumerable.Range(1, 5))
        {
            _api.AddMigration($"m-page-{i}", "vm-page", "Completed");
        }

        _api.AddMigration("m-page-other", "vm-other", "Completed");
        var (exit, _, json, _) = await Run("migrations --workload vm-page --state ended --json");
        Assert.Equal(0, exit);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"m-page-{i}"), JsonDocument.Parse(json).RootElement.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var pages = _api.Requests.Where(r => r.Path.StartsWith("/api/v1/migrations?", StringComparison.Ordinal)).Select(r => r.Path).ToList();
        Assert.Equal(3, pages.Count); // 2 + 2 + 1
        Assert.All(pages, p => Assert.StartsWith("/api/v1/migrations?workload=vm-page&state=ended&limit=", p, StringComparison.Ordinal));
        Assert.Contains("cursor=m-page-2", pages[1], StringComparison.Ordinal);

        (exit, _, json, _) = await Run("migrations --workload vm-page --limit 3 --json");
        Assert.Equal(0, exit);
        Assert.Equal(3, JsonDocument.Parse(json).RootElement.GetArrayLength());

        (exit, _, _, var error) = await Run("migrations --limit 0");
        Assert.Equal(2, exit);
        Assert.Contains("--limit: bad value '0'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrations_history_reads_every_page_of_the_journal_listing()
    {
        foreach (var i in Enumerable.Range(1, 3))
        {
            _api.AddMigration($"m-old-{i}", "vm-old", "Completed");
        }

        var (exit, _, json, _) = await Run("migrations --history --workload vm-old --json");
        Assert.Equal(0, exit);
        Assert.Equal(Enumerable.Range(1, 3).Select(i => $"m-old-{i}"), JsonDocument.Parse(json).RootElement.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var pages = _api.Requests.Where(r => r.Path.StartsWith("/api/v1/migrations/history?", StringComparison.Ordinal)).Select(r => r.Path).ToList();
        Assert.Equal(2, pages.Count); // 2 + 1
        Assert.All(pages, p => Assert.StartsWith("/api/v1/migrations/history?workload=vm-old&limit=", p, StringComparison.Ordinal));
        Assert.Contains("cursor=m-old-2", pages[1], StringComparison.Ordinal);

        (exit, _, _, var error) = await Run("migrations --history --state active");
        Assert.Equal(2, exit);
        Assert.Contains("--state: 'active' cannot go with --history", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_sends_the_policy_options_and_policy_patches_a_running_migration()
    {
        var (exit, _, _, error) = await Run("migrate vm-web --to host-b --downtime-ms 500 --bandwidth 1000");
        Assert.True(exit == 0, error);
        var post = _api.Requests.Single(r => r.Method == "POST" && r.Path == "/api/v1/migrations");
        var policy = JsonDocument.Parse(post.Body).RootElement.GetProperty("policy");
        Assert.Equal(500, policy.GetProperty("downtimeLimitMs").GetDouble());
        Assert.Equal(1000, policy.GetProperty("bandwidthBytesPerSecond").GetInt64());

        _api.AddMigration("m-pol", "vm-pol", "PreCopying");
        (exit, _, _, error) = await Run("policy m-pol --no-bandwidth-cap --downtime-ms 900");
        Assert.True(exit == 0, error);
        var patch = _api.Requests.Single(r => r.Method == "PATCH");
        Assert.Equal("/api/v1/migrations/m-pol/policy", patch.Path);
        Assert.Equal("""{"downtimeLimitMs":900,"bandwidthBytesPerSecond":null}""", patch.Body);

        (exit, _, _, error) = await Run("policy m-pol");
        Assert.Equal(2, exit);
        Assert.Contains("--downtime-ms", error, StringComparison.Ordinal);
        (exit, _, _, _) = await Run("policy m-gone --downtime-ms 5");
        Assert.Equal(3, exit);
    }

    [Fact]
    public async Task Show_prints_one_migration_with_its_policy_and_checkpoints()
    {
        _api.AddMigration("m-show", "vm-show", "PreCopying");
        var (exit, human, _, error) = await Run("show m-show");
        Assert.True(exit == 0, error);
        Assert.Contains("m-show vm-show host-a -> host-b PreCopying", human, StringComparison.Ordinal);
        Assert.Contains("policy: downtime limit 300.0 ms, bandwidth uncapped, at most 30 pre-copy rounds, then abort", human, StringComparison.Ordinal);
        Assert.Contains("10:00:00.000 Requested", human, StringComparison.Ordinal);
        Assert.Equal(3, (await Run("show m-none")).Exit);
    }

    [Fact]
    public async Task A_timeout_on_following_says_so_and_exits_5_leaving_the_migration_alone()
    {
        _api.AddMigration("m-slow", "vm-slow", "PreCopying");
        var (exit, _, _, error) = await Run("watch m-slow --timeout 1");
        Assert.Equal(5, exit);
        Assert.Contains("not ended after --timeout 1 s", error, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Method == "DELETE");
        Assert.Equal(2, (await Run("watch m-slow --timeout 0")).Exit);
    }

    [Fact]
    public async Task Cordon_sends_the_reason_and_a_reason_with_undo_is_bad_input()
    {
        var (exit, _, _, error) = await Run("cordon host-a --reason firmware-update");
        Assert.True(exit == 0, error);
        Assert.Equal("""{"reason":"firmware-update"}""", _api.Requests.Single(r => r.Path == "/api/v1/hosts/host-a/cordon").Body);
        Assert.Equal(2, (await Run("cordon host-a --undo --reason x")).Exit);
    }

    [Fact]
    public async Task Evacuations_lists_shows_and_cancels_a_job()
    {
        var (exit, human, _, _) = await Run("evacuations --host host-a --state active");
        Assert.Equal(0, exit);
        Assert.Contains("e-1", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Method == "GET" && r.Path == "/api/v1/evacuations?host=host-a&state=active&limit=1000");

        (exit, human, _, _) = await Run("evacuations e-1 --cancel");
        Assert.Equal(0, exit);
        Assert.Contains("Cancelling", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Method == "DELETE" && r.Path == "/api/v1/evacuations/e-1");

        (exit, _, _, var error) = await Run("evacuations e-nope");
        Assert.Equal(3, exit);
        Assert.Contains("e-nope", error, StringComparison.Ordinal);

        (exit, _, _, error) = await Run("evacuations --cancel");
        Assert.Equal(2, exit);
        Assert.Contains("--cancel", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evacuate_dry_run_shows_the_plan_and_moves_nothing()
    {
        var (exit, human, _, _) = await Run("evacuate host-a --dry-run");
        Assert.Equal(0, exit);
        Assert.Contains("evacuation plan for host-a", human, StringComparison.Ordinal);
        Assert.Contains("no compatible PF", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Path == "/api/v1/hosts/host-a/evacuate?dryRun=true");
    }

    [Fact]
    public async Task Evacuate_sends_a_key_and_retries_a_503_with_the_same_key_so_one_job_results()
    {
        _api.Unavailable = 2;
        var (exit, human, _, error) = await Run("evacuate host-a");
        Assert.True(exit == 0, error + human);
        var posts = _api.Requests.Where(r => r.Method == "POST" && r.Path == "/api/v1/hosts/host-a/evacuate").ToList();
        Assert.Equal(3, posts.Count);
        Assert.NotNull(posts[0].Key);
        Assert.All(posts, p => Assert.Equal(posts[0].Key, p.Key));
    }

    [Fact]
    public async Task A_migrate_that_never_gets_an_answer_names_the_key_to_repeat_it_with()
    {
        _api.Unavailable = 10;
        var (exit, _, _, error) = await Run("migrate vm-web --to host-b");
        Assert.Equal(ExitCodes.Unreachable, exit); // 503: the cluster is not ready
        var posts = _api.Requests.Where(r => r.Method == "POST" && r.Path == "/api/v1/migrations").ToList();
        Assert.Equal(1 + Orchestrator.Client.OrchestratorApiClient.DefaultRetries, posts.Count); // the client's retries, every one with the key
        Assert.All(posts, p => Assert.Equal(posts[0].Key, p.Key));
        Assert.Contains($"--idempotency-key {posts[0].Key}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evacuate_wait_follows_the_jobs_migrations()
    {
        var (exit, human, _, error) = await Run("evacuate host-a --wait");
        Assert.True(exit == 0, error + human);
        Assert.Contains("m-evac-1", human, StringComparison.Ordinal);
        Assert.Contains("Completed", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Placement_shows_the_first_choice_and_why_the_others_do_not_fit()
    {
        var (exit, human, _, error) = await Run("placement vm-web");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains("first choice", human, StringComparison.Ordinal);
        Assert.Contains("host-b/0000:3b:00.0/vf2", human, StringComparison.Ordinal);
        Assert.Contains("FirmwareIncompatible: 28.39.1002 < 28.41.1000", human, StringComparison.Ordinal);
        var post = _api.Requests.Single(r => r.Path == "/api/v1/placement");
        Assert.Contains("\"workload\":\"vm-web\"", post.Body, StringComparison.Ordinal);

        var (none, _, _, why) = await Run("placement vm-db --to host-c");
        Assert.Equal(ExitCodes.Conflict, none);
        Assert.Contains("no target fits vm-db on host-c", why, StringComparison.Ordinal);
        Assert.Contains("\"target\":\"host-c\"", _api.Requests.Last(r => r.Path == "/api/v1/placement").Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_runs_now_or_dry_runs_or_shows_the_last_run()
    {
        var (exit, human, _, error) = await Run("reconcile host-b");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains("cleaned", human, StringComparison.Ordinal);
        Assert.Contains("host-b/0000:3b:00.0/vf3", human, StringComparison.Ordinal);

        (exit, human, _, error) = await Run("reconcile host-b --dry-run");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains("dry run", human, StringComparison.Ordinal);
        Assert.Contains("would clean", human, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Method == "POST" && r.Path == "/api/v1/hosts/host-b/reconcile?dryRun=true");

        (exit, _, _, _) = await Run("reconcile host-b --last");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains(_api.Requests, r => r.Method == "GET" && r.Path == "/api/v1/hosts/host-b/reconcile");

        (exit, _, _, error) = await Run("reconcile host-z");
        Assert.Equal(ExitCodes.Conflict, exit);
        Assert.Contains("compared nothing: the migration index was not readable", error, StringComparison.Ordinal);

        (exit, _, _, error) = await Run("reconcile host-b --last --dry-run");
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("--last and --dry-run", error, StringComparison.Ordinal);
    }
}
