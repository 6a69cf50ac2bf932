using Akka.Actor;
using Akka.Event;
using Akka.Hosting.Logging;
using Orchestrator.Domain.Ids;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// Akka's log events into Microsoft.Extensions.Logging as structured entries. Akka.Hosting's own logger hands MEL a
/// state that MEL's console formatters cannot enumerate and a message with Akka's text prefix (level, local date,
/// thread), so a JSON log line had an empty <c>State</c>. This one passes the named fields of the template
/// (<c>[{Migration}] … epoch {Epoch}</c> → <c>Migration</c>, <c>Epoch</c>) with <c>{OriginalFormat}</c>, the actor
/// (<c>ActorPath</c>) and the trace of the message being handled, as MEL's own loggers do; the category is the class
/// that logged (for example <c>Orchestrator.Cluster.Migrations.MigrationCoordinator</c>), so levels can be set per
/// component. Akka's positional templates (<c>{0}</c>) keep only their text.
/// </summary>
public sealed class StructuredAkkaLogger : LoggerFactoryLogger
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    /// <summary>Uses the logger factory Akka.Hosting put in the actor system's setup.</summary>
    public StructuredAkkaLogger() =>
        _factory = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value.LoggerFactory;

    /// <summary>The MEL category of an Akka log event: the class that logged, or <c>Akka</c> for Akka's own string sources.</summary>
    public static string CategoryOf(LogEvent log) =>
        log.LogClass is { } type && type != typeof(DummyClassForStringSources) ? type.FullName ?? type.Name : "Akka";

    /// <summary>The fields of an Akka log event, in MEL's shape (named fields first, <c>{OriginalFormat}</c> last).</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> FieldsOf(LogEvent log, string actorPath)
    {
        var fields = new List<KeyValuePair<string, object?>>();
        if (log.TryGetProperties(out var properties) && properties is not null)
        {
            foreach (var (name, value) in properties)
            {
                // Positional placeholders ({0}) name nothing: the message text carries them.
                if (!name.All(char.IsAsciiDigit))
                {
                    // An epoch is a number wherever it is written (journal, API, spans); a formatter would quote the type.
                    fields.Add(new(name, value is Epoch epoch ? epoch.Value : value));
                }
            }
        }

        fields.Add(new("ActorPath", actorPath));
        if (log.ActivityContext is { } trace && trace.TraceId != default)
        {
            fields.Add(new("TraceId", trace.TraceId.ToHexString()));
            fields.Add(new("SpanId", trace.SpanId.ToHexString()));
        }

        fields.Add(new("{OriginalFormat}", log.GetTemplate()));
        return fields;
    }

    /// <inheritdoc />
    protected override void Log(LogEvent log, ActorPath path)
    {
        var category = CategoryOf(log);
        if (!_loggers.TryGetValue(category, out var logger))
        {
            logger = _factory.CreateLogger(category);
            _loggers[category] = logger;
        }

        var level = LevelOf(log.LogLevel());
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var message = Format(log);
        logger.Log(level, default, new Fields(FieldsOf(log, log.LogSource ?? path.ToString()), message), log.Cause, static (state, _) => state.Message);
    }

    private static string Format(LogEvent log)
    {
        try
        {
            return log.Message?.ToString() ?? string.Empty;
        }
        catch (FormatException)
        {
            return log.Message is LogMessage m ? $"{m.Format} [{string.Join(", ", m.Unformatted())}]" : "(malformed log message)";
        }
    }

    private static LogLevel LevelOf(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    /// <summary>What MEL's formatters read: the fields as a list, the message as the text.</summary>
    private sealed class Fields(IReadOnlyList<KeyValuePair<string, object?>> fields, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public int Count => fields.Count;

        public KeyValuePair<string, object?> this[int index] => fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => fields.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
