using Akka.Actor;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The VF creations a PF ran for an Idempotency-Key, so that a retried request (a lost answer, a client that sent it
/// twice at once through two nodes) gets the VF the first one created instead of a second VF. The PF actor is the one
/// writer of its VFs, so asking it is race-free; the API's replicated key store covers a retry after this PF actor
/// restarted. Bounded: the oldest of <see cref="Capacity"/> keys is forgotten first.
/// </summary>
internal sealed class KeyedCreates
{
    /// <summary>How many keys a PF remembers.</summary>
    public const int Capacity = 1024;

    private readonly BoundedMap<string, Entry> _entries = new(Capacity);

    /// <summary>What to do with <paramref name="create"/>: run it (first time), or the answer / the wait it joins.</summary>
    public Decision Begin(CreateVf create, IActorRef replyTo)
    {
        if (create.RequestKey is not { } key)
        {
            return Decision.Run;
        }

        if (_entries.TryGetValue(key, out var entry))
        {
            if (!SameRequest(entry.Request, create))
            {
                return Decision.Answer(new VfCommandFailed(
                    $"Idempotency-Key '{key}' was used for another VF request (kind {entry.Request.Kind}, profile '{entry.Request.Profile}', workload {entry.Request.Workload?.ToString() ?? "(none)"}); use a new key for a new request",
                    IsConflict: true));
            }

            if (entry.Created is { } created)
            {
                return Decision.Answer(created);
            }

            entry.Waiting.Add(replyTo);
            return Decision.Wait;
        }

        _entries.Set(key, new Entry(create));
        return Decision.Run;
    }

    /// <summary>The creation for <paramref name="key"/> ended: who else waits for its answer. A failure forgets the key.</summary>
    public IReadOnlyList<IActorRef> End(string? key, object reply)
    {
        if (key is null || !_entries.TryGetValue(key, out var entry))
        {
            return [];
        }

        if (reply is CreateVfReply created)
        {
            entry.Created = created;
        }
        else
        {
            _entries.Remove(key); // nothing was created: the same key may try again
        }

        var waiting = entry.Waiting.ToList();
        entry.Waiting.Clear();
        return waiting;
    }

    // The index is not compared: without one in the body the placement authority picks a different free one each time.
    private static bool SameRequest(CreateVf a, CreateVf b) =>
        a.Kind == b.Kind && a.Profile == b.Profile && a.Workload == b.Workload && (a.RequestedIndex ?? -1) == (b.RequestedIndex ?? -1);

    /// <summary>Run the creation, answer at once, or wait for the one in flight.</summary>
    public sealed record Decision(bool ShouldRun, object? Reply)
    {
        public static Decision Run { get; } = new(true, null);

        public static Decision Wait { get; } = new(false, null);

        public static Decision Answer(object reply) => new(false, reply);
    }

    private sealed class Entry(CreateVf request)
    {
        public CreateVf Request { get; } = request;

        public CreateVfReply? Created { get; set; }

        public List<IActorRef> Waiting { get; } = [];
    }
}
