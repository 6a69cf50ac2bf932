using Akka;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Persistence;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Cluster.Migrations;

/// <summary>A migration as of one of its journaled events; <see cref="Ordering"/> is the journal's global order of that event.</summary>
public sealed record JournaledView(long Ordering, long SequenceNr, MigrationView View);

/// <summary>
/// A page of ended migrations (<see cref="MigrationJournal.EndedAsync"/>), each as of its terminal event, in the journal's
/// order of those events. <see cref="Next"/> is the ordering to go on after (the last item's, or the last terminal event
/// looked at when a filter let few through), null when the journal holds no more.
/// </summary>
public sealed record EndedPage(IReadOnlyList<JournaledView> Items, long? Next);

/// <summary>
/// Migration events read back from the SQL journal in its global order (Akka.Persistence.Query, tag
/// <see cref="MigrationEventTagger.Tag"/>, kept in the journal row), each folded into its migration's view with the same
/// <see cref="MigrationState.Apply"/> the coordinator recovers with. The journal's ordering is durable and the same
/// on every node, so it serves as the resumable event id of <c>GET /events</c>. Akka's journal sequence reader waits
/// for gaps in the ordering (a transaction that commits late) before it passes them, so nothing is skipped.
/// </summary>
public sealed class MigrationJournal
{
    // Migrations read at once while a page of ended ones is built.
    private const int LoadParallelism = 4;

    /// <summary>How many ended migrations the API reads at most for one page of <see cref="EndedAsync"/> (more for a larger page).</summary>
    public const int ExaminedPerPage = 1000;

    private readonly ActorSystem _system;
    private readonly PersistenceProvider _provider;
    private readonly IMaterializer _materializer;
    private SqlReadJournal? _journal;

    private MigrationJournal(ActorSystem system, PersistenceProvider provider)
    {
        _system = system;
        _provider = provider;
        _materializer = system.Materializer(namePrefix: "migration-journal");
    }

    // Created on first use, off the caller's thread: the read journal's constructor waits (up to 5 s) for the write
    // journal, and a node that starts on a busy machine must not fail its start for that; a failure is tried again.
    // Nothing is read before the tags of a journal that earlier builds wrote are in its rows (JournalTagUpgrade): the
    // node's start runs it, and a start that found the database away left it to this first read.
    private async Task<SqlReadJournal> JournalAsync()
    {
        if (Volatile.Read(ref _journal) is { } journal)
        {
            return journal;
        }

        if (JournalTagUpgrade.AppliesTo(_system.Settings.Config))
        {
            await JournalTagUpgrade.RunAsync(_provider, _system.Settings.Config.GetString(OrchestratorConfig.JournalPluginId + ".connection-string"), CancellationToken.None).ConfigureAwait(false);
        }

        return _journal = await Task.Run(() => PersistenceQuery.Get(_system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier)).ConfigureAwait(false);
    }

    /// <summary>The reader for <paramref name="system"/>, or null when its journal keeps no global order (in memory).</summary>
    public static MigrationJournal? For(ActorSystem system, PersistenceProvider provider)
    {
        ArgumentNullException.ThrowIfNull(system);
        return provider == PersistenceProvider.InMemory ? null : new MigrationJournal(system, provider);
    }

    /// <summary>Every migration event after <paramref name="after"/> (a journal ordering), as it is written; never completes.</summary>
    public Source<JournaledView, NotUsed> Follow(long after)
    {
        var folded = new Dictionary<string, (MigrationState State, long SequenceNr)>(StringComparer.Ordinal);
        return Source.FromTask(JournalAsync())
            .ConcatMany(journal => journal.EventsByTag(MigrationEventTagger.Tag, Offset.Sequence(after)))
            .SelectAsync(1, e => FoldAsync(folded, e))
            .Where(v => v is not null)
            .Select(v => v!);
    }

    /// <summary>
    /// How many migrations have an event after <paramref name="after"/> and up to <paramref name="upTo"/>, and each
    /// of them as of its last such event, in the order of those events (null when more than <paramref name="max"/>).
    /// </summary>
    public async Task<(int Changed, IReadOnlyList<JournaledView>? Views)> ChangedAsync(long after, long upTo, int max, CancellationToken ct)
    {
        if (after >= upTo)
        {
            return (0, []);
        }

        var journal = await JournalAsync().WaitAsync(ct).ConfigureAwait(false);
        var last = await journal.CurrentEventsByTag(MigrationEventTagger.Tag, Offset.Sequence(after))
            .TakeWhile(e => OrderingOf(e) <= upTo)
            .RunAggregate(new Dictionary<string, (long Ordering, long SequenceNr)>(StringComparer.Ordinal), (seen, e) =>
            {
                seen[e.PersistenceId] = (OrderingOf(e), e.SequenceNr);
                return seen;
            }, _materializer).WaitAsync(ct).ConfigureAwait(false);
        if (last.Count > max)
        {
            return (last.Count, null);
        }

        var views = new List<JournaledView>(last.Count);
        foreach (var (persistenceId, (ordering, sequenceNr)) in last.OrderBy(p => p.Value.Ordering))
        {
            if (IdOf(persistenceId) is { } id)
            {
                var state = await LoadAsync(id, persistenceId, sequenceNr).WaitAsync(ct).ConfigureAwait(false);
                views.Add(new JournaledView(ordering, sequenceNr, ViewOf(state)));
            }
        }

        return (last.Count, views);
    }

    /// <summary>
    /// Ended migrations whose terminal event comes after <paramref name="after"/> (a journal ordering), in the order of
    /// those events, as they ended: at most <paramref name="limit"/> that <paramref name="matches"/> lets through. The work
    /// is bounded by the page, not the history: the scan of the tag stops at the first terminal event past a full page,
    /// or once <paramref name="examined"/> ended migrations were read (a narrow filter: the page is shorter and
    /// <see cref="EndedPage.Next"/> says where to go on). Each is read alone (its events up to its terminal one), so
    /// an ordering that follows never changes what a page holds: a page neither repeats nor skips one however many end
    /// meanwhile (the query passes no gap in the ordering that a late commit may still fill).
    /// </summary>
    public async Task<EndedPage> EndedAsync(long after, int limit, Func<MigrationView, bool>? matches, int examined, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var examine = Math.Max(limit + 1, examined);
        var journal = await JournalAsync().WaitAsync(ct).ConfigureAwait(false);
        var matched = 0;
        var read = await journal.CurrentEventsByTag(MigrationEventTagger.Tag, Offset.Sequence(after))
            .Where(e => e.Event is IMigrationEvent m && MigrationProtocol.Ends(m) && IdOf(e.PersistenceId) is not null)
            .Take(examine)
            .SelectAsync(LoadParallelism, async e =>
            {
                var state = await LoadAsync(IdOf(e.PersistenceId)!.Value, e.PersistenceId, e.SequenceNr).ConfigureAwait(false);
                var view = new JournaledView(OrderingOf(e), e.SequenceNr, ViewOf(state));
                return (View: view, Matches: matches?.Invoke(view.View) ?? true);
            })
            // One past a full page (to know whether there is more), then no further.
            .TakeWhile(x => (x.Matches ? ++matched : matched) <= limit, inclusive: true)
            .RunWith(Sink.Seq<(JournaledView View, bool Matches)>(), _materializer).WaitAsync(ct).ConfigureAwait(false);
        var items = read.Where(x => x.Matches).Select(x => x.View).ToList();
        if (items.Count > limit)
        {
            items.RemoveRange(limit, items.Count - limit);
            return new EndedPage(items, items[^1].Ordering);
        }

        return new EndedPage(items, read.Count == examine ? read[^1].View.Ordering : null);
    }

    private async Task<JournaledView?> FoldAsync(Dictionary<string, (MigrationState State, long SequenceNr)> folded, EventEnvelope e)
    {
        if (e.Event is not IMigrationEvent migrationEvent || IdOf(e.PersistenceId) is not { } id)
        {
            return null;
        }

        var known = folded.TryGetValue(e.PersistenceId, out var f);
        if (known && f.SequenceNr >= e.SequenceNr)
        {
            return null; // seen already (a restarted query)
        }

        // The next event of a migration folded here (or its first), else one whose earlier events predate this
        // follower: read them.
        var state = known && f.SequenceNr == e.SequenceNr - 1 ? f.State.Apply(migrationEvent)
            : e.SequenceNr == 1 ? MigrationState.Empty(id).Apply(migrationEvent)
            : await LoadAsync(id, e.PersistenceId, e.SequenceNr).ConfigureAwait(false);
        // Only migrations in flight are kept: an ended one has no next event to fold (one that comes all the same, a
        // restarted query's, is read from the journal). Keeping ended ones up to a cap and then dropping them all made
        // each node's heap rise and fall by ~10 MB with every 4 096 migrations, which the soak read as scatter.
        if (state.IsTerminal)
        {
            folded.Remove(e.PersistenceId);
        }
        else
        {
            folded[e.PersistenceId] = (state, e.SequenceNr);
        }

        return new JournaledView(OrderingOf(e), e.SequenceNr, ViewOf(state));
    }

    private async Task<MigrationState> LoadAsync(MigrationId id, string persistenceId, long toSequenceNr) =>
        await (await JournalAsync().ConfigureAwait(false)).CurrentEventsByPersistenceId(persistenceId, 0, toSequenceNr)
            .RunAggregate(MigrationState.Empty(id), (s, e) => e.Event is IMigrationEvent m ? s.Apply(m) : s, _materializer).ConfigureAwait(false);

    // The view from journaled state alone: the same on every node and on every read (no clock, no queue position).
    private static MigrationView ViewOf(MigrationState state) => MigrationView.From(state, state.RequestedAt ?? DateTimeOffset.UnixEpoch);

    private static long OrderingOf(EventEnvelope e) => e.Offset is Sequence s ? s.Value : 0;

    private static MigrationId? IdOf(string persistenceId)
    {
        const string prefix = MigrationCoordinator.PersistenceIdPrefix;
        return persistenceId.StartsWith(prefix, StringComparison.Ordinal) && MigrationId.TryParse(persistenceId[prefix.Length..], out var id, out _) ? id : null;
    }
}
