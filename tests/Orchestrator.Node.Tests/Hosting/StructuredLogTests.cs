using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Hosting;
using Orchestrator.Node.Tests.Api;
using Orchestrator.Testing;

namespace Orchestrator.Node.Tests.Hosting;

/// <summary>
/// Akka's log events reach Microsoft.Extensions.Logging with the named fields of their templates, so a JSON log line
/// of a migration's coordinator carries <c>Migration</c> and <c>Epoch</c> as fields, not only inside its text.
/// </summary>
public class StructuredLogTests
{
    [Fact]
    public async Task An_actors_named_placeholders_become_fields_and_its_class_the_category()
    {
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var config = ConfigurationFactory.ParseString($"akka.loggers = [\"{typeof(StructuredAkkaLogger).AssemblyQualifiedName}\"]\nakka.loglevel = DEBUG");
        using var system = ActorSystem.Create("logs", ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config), new LoggerFactorySetup(factory)));
        var migration = MigrationId.Parse("m-logtest");

        system.ActorOf(Props.Create(() => new Talker(migration)), "talker").Tell("go");

        var named = await WaitForAsync(logs, e => e.Message.Contains("recovering", StringComparison.Ordinal));
        Assert.Equal(typeof(Talker).FullName, named.Category);
        Assert.Equal(LogLevel.Information, named.Level);
        Assert.Equal("[m-logtest] recovering in Running at epoch 3", named.Message); // no Akka prefix: MEL stamps level and time
        Assert.Equal(migration, named.Fields["Migration"]);
        Assert.Equal(3L, named.Fields["Epoch"]);
        Assert.Equal("Running", named.Fields["Phase"]);
        Assert.Equal("[{Migration}] recovering in {Phase} at epoch {Epoch}", named.Fields["{OriginalFormat}"]);
        Assert.EndsWith("/user/talker", (string)named.Fields["ActorPath"]!, StringComparison.Ordinal);

        // Akka's own positional templates keep their text and name no fields.
        var positional = await WaitForAsync(logs, e => e.Message.StartsWith("positional", StringComparison.Ordinal));
        Assert.Equal("positional a and 2", positional.Message);
        Assert.Equal(LogLevel.Warning, positional.Level);
        Assert.Equal(["ActorPath", "{OriginalFormat}"], positional.Fields.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_migration_over_http_logs_its_migration_and_epoch_as_fields_of_the_coordinators_lines()
    {
        var logs = new CapturedLogs();
        var node = new ApiNode { Logs = logs };
        await node.InitializeAsync();
        try
        {
            var started = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-2", "target": "host-b"}"""), HttpStatusCode.Accepted);
            var id = started.Str("id");
            await node.WaitForEndAsync(id);

            var line = await WaitForAsync(logs, e =>
                e.Category == "Orchestrator.Cluster.Migrations.MigrationCoordinator" && e.Fields.TryGetValue("Migration", out var m) && m?.ToString() == id
                && e.Fields.ContainsKey("Epoch") && e.Message.Contains("Completed", StringComparison.Ordinal));
            Assert.StartsWith($"[{id}] ", line.Message, StringComparison.Ordinal);
            Assert.IsType<long>(line.Fields["Epoch"]); // a number in JSON, as in the journal and the API
            Assert.Contains("{Migration}", (string)line.Fields["{OriginalFormat}"]!, StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private static async Task<CapturedLogs.Entry> WaitForAsync(CapturedLogs logs, Func<CapturedLogs.Entry, bool> match)
    {
        CapturedLogs.Entry? found = null;
        await Eventually.TrueAsync(() => (found = logs.Entries.FirstOrDefault(match)) is not null, "a matching log entry");
        return found!;
    }

    private sealed class Talker : ReceiveActor
    {
        private readonly ILoggingAdapter _log = Context.GetLogger();

        public Talker(MigrationId migration) =>
            Receive<string>(_ =>
            {
                _log.Info("[{Migration}] recovering in {Phase} at epoch {Epoch}", migration, "Running", 3L);
                _log.Warning("positional {0} and {1}", "a", 2);
            });
    }
}

/// <summary>Every log entry with its fields, as a structured sink (a JSON formatter, a log shipper) sees them.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> list)
            {
                foreach (var (k, v) in list)
                {
                    fields[k] = v;
                }
            }

            sink.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), fields));
        }
    }
}
