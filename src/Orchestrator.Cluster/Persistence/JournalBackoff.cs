using Akka.Actor;
using Akka.Pattern;
using Akka.Streams;

namespace Orchestrator.Cluster.Persistence;

/// <summary>
/// How whatever lost the journal comes back: restarts 200 ms to 5 s apart (±20 %), forever. One policy for every
/// journal user (placement authority, host journals, reconcilers, the API's journal feed), so that when a database
/// outage ends they are all back within the same few seconds.
/// </summary>
public static class JournalBackoff
{
    /// <summary>The first restart's delay.</summary>
    public static readonly TimeSpan MinDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two restarts.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Jitter, so that many actors do not retry in step.</summary>
    public const double RandomFactor = 0.2;

    /// <summary>For a stream that reads the journal.</summary>
    public static RestartSettings Stream { get; } = RestartSettings.Create(MinDelay, MaxDelay, RandomFactor);

    /// <summary><paramref name="child"/> under a backoff supervisor that starts it again each time it stops.</summary>
    public static Props Supervise(Props child, string childName) =>
        BackoffSupervisor.Props(Backoff.OnStop(child, childName, MinDelay, MaxDelay, RandomFactor, maxNrOfRetries: -1));
}
