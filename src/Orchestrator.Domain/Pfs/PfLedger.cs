using System.Collections.Immutable;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Pfs;

/// <summary>
/// The rules of one PF, pure and immutable: which migration holds which VF index, the newest epoch seen of each
/// migration (fencing), the replies given per (migration, step, epoch), which steps run, the open sides, the migration
/// slots and their FIFO queue, the indices an API create reserved, and tombstones of migrations that ended here.
/// </summary>
/// <remarks>
/// <code>
///   command ──cleaned, or older epoch? ──► Fence     (the device is not touched)
///      │ same step and epoch answered? ──► Replay    (idempotent retry)
///      │ target held by another?       ──► Refuse
///      │ a step of it runs?            ──► Wait      (join it, or run after it)
///      │ needs slots, none free or FIFO has a head ──► Queue ──Admit──► running
///      ▼
///   Run ──Finish──► reply cached (success) ──session ended──► side closed, VFs and slot given back
///                                                      nothing live ──► tombstone ──TTL──► forgotten
/// </code>
/// Memory stays bounded: what is kept is proportional to the migrations live on the PF plus the tombstones, which
/// expire after <see cref="PfLedgerSettings.TombstoneTtl"/> and are capped at <see cref="PfLedgerSettings.MaxTombstones"/>.
/// A PF actor restart keeps the ledger (<see cref="Restarted"/> forgets only what died with the actor).
/// </remarks>
/// <typeparam name="TReply">The PF actor's reply type, cached for retries (the domain does not know it).</typeparam>
public sealed record PfLedger<TReply>
    where TReply : class
{
    /// <summary>An empty ledger for <paramref name="pf"/> with <paramref name="slotLimit"/> migration slots.</summary>
    public PfLedger(PfId pf, int slotLimit, PfLedgerSettings? settings = null)
    {
        Pf = pf;
        SlotLimit = slotLimit;
        Settings = settings ?? PfLedgerSettings.Default;
    }

    /// <summary>The PF.</summary>
    public PfId Pf { get; }

    /// <summary>Migration slots of the PF (VFs migrating at once, as the firmware counts them).</summary>
    public int SlotLimit { get; }

    /// <summary>Tombstone bounds.</summary>
    public PfLedgerSettings Settings { get; }

    private ImmutableDictionary<int, PfOwner> OwnerMap { get; init; } = ImmutableDictionary<int, PfOwner>.Empty;

    private ImmutableDictionary<MigrationId, Epoch> Epochs { get; init; } = ImmutableDictionary<MigrationId, Epoch>.Empty;

    private ImmutableDictionary<(MigrationId Migration, PfStep Step), (Epoch Epoch, TReply Reply)> Replies { get; init; } =
        ImmutableDictionary<(MigrationId, PfStep), (Epoch, TReply)>.Empty;

    private ImmutableDictionary<MigrationId, (PfStep Step, Epoch Epoch)> RunningSteps { get; init; } =
        ImmutableDictionary<MigrationId, (PfStep, Epoch)>.Empty;

    private ImmutableHashSet<(MigrationId Migration, PfSide Side)> OpenSides { get; init; } = [];

    private ImmutableDictionary<MigrationId, int> Holders { get; init; } = ImmutableDictionary<MigrationId, int>.Empty;

    private ImmutableList<PfCommand> Waiting { get; init; } = [];

    private ImmutableDictionary<MigrationId, PfTombstone> Graves { get; init; } = ImmutableDictionary<MigrationId, PfTombstone>.Empty;

    private ImmutableHashSet<int> Reserved { get; init; } = [];

    /// <summary>Which migration holds which VF index.</summary>
    public IReadOnlyDictionary<int, PfOwner> Owners => OwnerMap;

    /// <summary>Migrations holding slots here, and how many each.</summary>
    public IReadOnlyDictionary<MigrationId, int> SlotHolders => Holders;

    /// <summary>Slots in use.</summary>
    public int SlotsInUse => Holders.Values.Sum();

    /// <summary>Commands waiting for slots, FIFO (the latest command of each migration, at its first place).</summary>
    public IReadOnlyList<PfCommand> Queue => Waiting;

    /// <summary>Migrations remembered after they ended here.</summary>
    public IReadOnlyDictionary<MigrationId, PfTombstone> Tombstones => Graves;

    /// <summary>Migrations this ledger knows anything of (an epoch): live ones and tombstones.</summary>
    public int KnownMigrations => Epochs.Count;

    /// <summary>Cached replies.</summary>
    public int CachedReplies => Replies.Count;

    /// <summary>The newest epoch seen of <paramref name="migration"/>, or null.</summary>
    public Epoch? EpochOf(MigrationId migration) => Epochs.TryGetValue(migration, out var epoch) ? epoch : null;

    /// <summary>Who holds VF <paramref name="index"/>, or null.</summary>
    public PfOwner? OwnerOf(int index) => OwnerMap.GetValueOrDefault(index);

    /// <summary>The step of <paramref name="migration"/> running now, or null.</summary>
    public PfStep? RunningStep(MigrationId migration) => RunningSteps.TryGetValue(migration, out var running) ? running.Step : null;

    /// <summary>Whether an API create runs for <paramref name="index"/>.</summary>
    public bool IsReserved(int index) => Reserved.Contains(index);

    /// <summary>Whether <paramref name="migration"/> holds a slot or waits for one.</summary>
    public bool HoldsOrWaitsForSlot(MigrationId migration) => Holders.ContainsKey(migration) || Waiting.Any(c => c.Migration == migration);

    /// <summary>
    /// Whether <paramref name="destroyer"/> (a migration, or null for an API delete) may destroy VF <paramref name="index"/>:
    /// a held VF only by its holder (invariant 6), a free one by anybody the caller's own rules let.
    /// </summary>
    public bool MayDestroy(int index, MigrationId? destroyer) => OwnerOf(index) is not { } owner || owner.Migration == destroyer;

    /// <summary>The indices another migration than <paramref name="migration"/> holds.</summary>
    public IReadOnlySet<int> HeldByOthers(MigrationId migration) =>
        OwnerMap.Where(kv => kv.Value.Migration != migration).Select(kv => kv.Key).ToHashSet();

    /// <summary>Why <paramref name="indices"/> are not <paramref name="migration"/>'s to use, or null.</summary>
    public string? HeldByOther(MigrationId migration, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        foreach (var index in indices)
        {
            if (OwnerMap.TryGetValue(index, out var owner) && owner.Migration != migration)
            {
                return $"VF {Pf.Vf(index)} is held by migration {owner.Migration}";
            }
        }

        return null;
    }

    /// <summary>The lowest index below <paramref name="maxVfs"/> not on the device, held, reserved or avoided.</summary>
    public int? FreeIndex(int maxVfs, IEnumerable<int> present, IEnumerable<int>? avoid)
    {
        var taken = present.Concat(OwnerMap.Keys).Concat(Reserved).Concat(avoid ?? []).ToHashSet();
        for (var i = 0; i < maxVfs; i++)
        {
            if (!taken.Contains(i))
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>Decides <paramref name="command"/> at <paramref name="now"/>. Never throws, changes nothing.</summary>
    public PfDecision<TReply> Decide(PfCommand command, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (HasExpired(now))
        {
            return Pruned(now).Decide(command, now);
        }

        var (migration, epoch) = (command.Migration, command.Epoch);
        if (Graves.TryGetValue(migration, out var grave) && grave.Cleaned)
        {
            // A late duplicate of an ended migration's command must not recreate what the reconciler cleaned.
            return new(PfVerdict.Fence, "the migration has ended and its leftovers were cleaned", epoch);
        }

        if (EpochOf(migration) is { } current && epoch < current)
        {
            return new(PfVerdict.Fence, $"current epoch is {current}", current);
        }

        if (Replies.TryGetValue((migration, command.Step), out var cached) && cached.Epoch == epoch)
        {
            return new(PfVerdict.Replay, "answered already", Reply: cached.Reply);
        }

        if (command.ClaimMode == PfClaimMode.RefuseIfHeld && HeldByOther(migration, command.Indices) is { } held)
        {
            return new(PfVerdict.Refuse, held);
        }

        if (RunningSteps.TryGetValue(migration, out var running))
        {
            var joins = running.Step == command.Step && running.Epoch == epoch;
            return new(PfVerdict.Wait, $"{running.Step} of epoch {running.Epoch} is running", Joins: joins);
        }

        if (command.Slots > 0 && !Holders.ContainsKey(migration))
        {
            var queued = Waiting.FindIndex(c => c.Migration == migration);
            if (queued >= 0)
            {
                return new(PfVerdict.Queue, "waits for a migration slot", Position: queued + 1);
            }

            if (Waiting.Count > 0 || !HasRoomFor(command.Slots))
            {
                // FIFO: nobody overtakes a migration already waiting for this PF.
                return new(PfVerdict.Queue, "waits for a migration slot", Position: Waiting.Count + 1);
            }

            return new(PfVerdict.Run, string.Empty, TakesSlots: command.Slots);
        }

        return new(PfVerdict.Run, string.Empty);
    }

    /// <summary>
    /// Records <paramref name="decision"/> (from <see cref="Decide"/> on this ledger) for <paramref name="command"/>:
    /// the epoch seen, the VFs it holds from its first command on (queued or not), the queue or the slot, the step running.
    /// </summary>
    public PfLedger<TReply> Apply(PfCommand command, PfDecision<TReply> decision, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Verdict == PfVerdict.Fence)
        {
            return this;
        }

        var migration = command.Migration;
        var next = Pruned(now);
        if (next.EpochOf(migration) is not { } seen || command.Epoch > seen)
        {
            next = next with { Epochs = next.Epochs.SetItem(migration, command.Epoch) };
        }

        switch (decision.Verdict)
        {
            case PfVerdict.Wait:
                next = next.Claim(command);
                break;
            case PfVerdict.Queue:
                var queued = next.Waiting.FindIndex(c => c.Migration == migration);
                next = next.Claim(command) with { Waiting = queued >= 0 ? next.Waiting.SetItem(queued, command) : next.Waiting.Add(command) };
                break;
            case PfVerdict.Run:
                next = next.Start(command, decision.TakesSlots);
                break;
        }

        return next.Settle(migration, now);
    }

    /// <summary>
    /// The step <paramref name="step"/> of <paramref name="migration"/> ended: a success (<paramref name="reply"/>) is kept
    /// for retries of the same step and epoch, a failure is not (the retry must run again). When it ended the session of
    /// <paramref name="endedSide"/>, that side's VFs are given back, and the slot with the last side; queued commands
    /// that fit then start (<paramref name="admitted"/>), and queued commands of an older epoch are dropped (<paramref name="fenced"/>).
    /// </summary>
    public PfLedger<TReply> Finish(
        MigrationId migration,
        PfStep step,
        Epoch epoch,
        TReply? reply,
        PfSide? endedSide,
        DateTimeOffset now,
        out bool slotFreed,
        out IReadOnlyList<PfCommand> admitted,
        out IReadOnlyList<PfCommand> fenced)
    {
        var next = Pruned(now) with
        {
            RunningSteps = RunningSteps.Remove(migration),
            Replies = reply is null ? Replies.Remove((migration, step)) : Replies.SetItem((migration, step), (epoch, reply)),
        };
        slotFreed = false;
        if (endedSide is { } side)
        {
            next = next.Close(migration, side);
            if (!next.HasOpenSide(migration) && next.Holders.ContainsKey(migration))
            {
                next = next with { Holders = next.Holders.Remove(migration) };
                slotFreed = true;
            }
        }

        next = slotFreed ? next.Admit(now, out admitted, out fenced) : next.NoneAdmitted(out admitted, out fenced);
        return next.Settle(migration, now);
    }

    /// <summary>
    /// The host reconciler cleans <paramref name="migration"/> here (it has ended for good): every later command of it is
    /// fenced until the tombstone expires.
    /// </summary>
    public PfLedger<TReply> Clean(MigrationId migration, DateTimeOffset now)
    {
        var next = Pruned(now);
        var grave = new PfTombstone(migration, next.EpochOf(migration) ?? Epoch.Zero, now + Settings.TombstoneTtl, Cleaned: true);
        return (next with { Graves = next.Graves.SetItem(migration, grave) }).Capped();
    }

    /// <summary>
    /// Removes <paramref name="migration"/> from the slot queue (the reconciler frees an ended migration's place);
    /// <paramref name="dropped"/> are the commands that waited.
    /// </summary>
    public PfLedger<TReply> Dequeue(MigrationId migration, out IReadOnlyList<PfCommand> dropped)
    {
        dropped = [.. Waiting.Where(c => c.Migration == migration)];
        return dropped.Count == 0 ? this : this with { Waiting = Waiting.RemoveAll(c => c.Migration == migration) };
    }

    /// <summary>Closes <paramref name="migration"/>'s session on <paramref name="side"/> (both when null) and gives back its VFs there.</summary>
    public PfLedger<TReply> DropSessions(MigrationId migration, PfSide? side, DateTimeOffset now)
    {
        var next = this;
        foreach (var s in side is { } one ? [one] : new[] { PfSide.Source, PfSide.Target })
        {
            next = next.Close(migration, s);
        }

        return next.Settle(migration, now);
    }

    /// <summary>
    /// Gives back <paramref name="migration"/>'s slot once it has no session and no step running here (<paramref name="freed"/>),
    /// and admits who waits.
    /// </summary>
    public PfLedger<TReply> ReleaseSlotIfIdle(
        MigrationId migration,
        DateTimeOffset now,
        out bool freed,
        out IReadOnlyList<PfCommand> admitted,
        out IReadOnlyList<PfCommand> fenced)
    {
        freed = !HasOpenSide(migration) && !RunningSteps.ContainsKey(migration) && Holders.ContainsKey(migration);
        if (!freed)
        {
            return NoneAdmitted(out admitted, out fenced);
        }

        return (this with { Holders = Holders.Remove(migration) }).Admit(now, out admitted, out fenced).Settle(migration, now);
    }

    /// <summary>An API create runs for <paramref name="index"/>: no migration or other create takes it meanwhile.</summary>
    public PfLedger<TReply> Reserve(int index) => this with { Reserved = Reserved.Add(index) };

    /// <summary>The API create for <paramref name="index"/> ended.</summary>
    public PfLedger<TReply> Unreserve(int index) => this with { Reserved = Reserved.Remove(index) };

    /// <summary>
    /// The PF actor restarted: its running steps and the senders of queued commands died with it (their coordinators
    /// retry). Epochs, cached replies, holders, open sides, slots and tombstones stay: what fencing needs survives.
    /// </summary>
    public PfLedger<TReply> Restarted() => this with { RunningSteps = RunningSteps.Clear(), Waiting = Waiting.Clear() };

    /// <summary>Forgets expired tombstones, with the epochs and replies of their migrations when nothing of them is live.</summary>
    public PfLedger<TReply> Pruned(DateTimeOffset now)
    {
        if (!HasExpired(now))
        {
            return this;
        }

        var next = this;
        foreach (var grave in Graves.Values.Where(g => g.Expires <= now))
        {
            next = next.Forget(grave.Migration);
        }

        return next;
    }

    private bool HasExpired(DateTimeOffset now) => Graves.Values.Any(g => g.Expires <= now);

    private PfLedger<TReply> Claim(PfCommand command)
    {
        var owners = OwnerMap;
        var owner = new PfOwner(command.Migration, command.Side);
        foreach (var index in command.Indices)
        {
            // Another migration's VF stays its own: a source named by a late rollback, or after a restart, is taken only
            // if free (and a target that is held was refused before it got here).
            if (!owners.TryGetValue(index, out var holder) || holder.Migration == command.Migration)
            {
                owners = owners.SetItem(index, owner);
            }
        }

        return this with { OwnerMap = owners };
    }

    private PfLedger<TReply> Start(PfCommand command, int slots)
    {
        var next = Claim(command);
        return next with
        {
            Holders = slots > 0 ? next.Holders.SetItem(command.Migration, slots) : next.Holders,
            RunningSteps = next.RunningSteps.SetItem(command.Migration, (command.Step, command.Epoch)),
            OpenSides = next.OpenSides.Add((command.Migration, command.Side)),
        };
    }

    private PfLedger<TReply> Close(MigrationId migration, PfSide side) => this with
    {
        OpenSides = OpenSides.Remove((migration, side)),
        OwnerMap = OwnerMap.RemoveRange(OwnerMap.Where(kv => kv.Value.Migration == migration && kv.Value.Side == side).Select(kv => kv.Key)),
    };

    private bool HasOpenSide(MigrationId migration) =>
        OpenSides.Contains((migration, PfSide.Source)) || OpenSides.Contains((migration, PfSide.Target));

    /// <summary>An oversized migration still runs alone (the device then answers for itself) rather than wait forever.</summary>
    private bool HasRoomFor(int needed)
    {
        var used = SlotsInUse;
        return used == 0 || used + needed <= SlotLimit;
    }

    private PfLedger<TReply> Admit(DateTimeOffset now, out IReadOnlyList<PfCommand> admitted, out IReadOnlyList<PfCommand> fenced)
    {
        var next = this;
        var started = new List<PfCommand>();
        var stale = new List<PfCommand>();
        while (next.Waiting.Count > 0)
        {
            var head = next.Waiting[0];
            if (next.EpochOf(head.Migration) is { } current && head.Epoch < current)
            {
                // A newer epoch of it was seen while it waited: it never runs.
                stale.Add(head);
                next = (next with { Waiting = next.Waiting.RemoveAt(0) }).Settle(head.Migration, now);
                continue;
            }

            if (!next.HasRoomFor(head.Slots))
            {
                break;
            }

            started.Add(head);
            next = (next with { Waiting = next.Waiting.RemoveAt(0) }).Start(head, head.Slots).Settle(head.Migration, now);
        }

        admitted = started;
        fenced = stale;
        return next;
    }

    private PfLedger<TReply> NoneAdmitted(out IReadOnlyList<PfCommand> admitted, out IReadOnlyList<PfCommand> fenced)
    {
        admitted = [];
        fenced = [];
        return this;
    }

    private bool IsLive(MigrationId migration) =>
        HasOpenSide(migration) || RunningSteps.ContainsKey(migration) || Holders.ContainsKey(migration)
        || Waiting.Any(c => c.Migration == migration) || OwnerMap.Values.Any(o => o.Migration == migration);

    /// <summary>A migration with nothing live here gets a tombstone (kept if it has one); a live one loses it, unless cleaned.</summary>
    private PfLedger<TReply> Settle(MigrationId migration, DateTimeOffset now)
    {
        var grave = Graves.GetValueOrDefault(migration);
        if (IsLive(migration))
        {
            return grave is null || grave.Cleaned ? this : this with { Graves = Graves.Remove(migration) };
        }

        if (grave is not null)
        {
            return this;
        }

        var epoch = EpochOf(migration) ?? Epoch.Zero;
        return (this with { Graves = Graves.SetItem(migration, new PfTombstone(migration, epoch, now + Settings.TombstoneTtl, Cleaned: false)) }).Capped();
    }

    /// <summary>Beyond the cap the tombstone that expires first goes first.</summary>
    private PfLedger<TReply> Capped()
    {
        var next = this;
        while (next.Graves.Count > Settings.MaxTombstones)
        {
            next = next.Forget(next.Graves.Values.MinBy(g => g.Expires)!.Migration);
        }

        return next;
    }

    private PfLedger<TReply> Forget(MigrationId migration)
    {
        var next = this with { Graves = Graves.Remove(migration) };
        return next.IsLive(migration)
            ? next
            : next with
            {
                Epochs = next.Epochs.Remove(migration),
                Replies = next.Replies.RemoveRange(next.Replies.Keys.Where(k => k.Migration == migration)),
            };
    }
}
