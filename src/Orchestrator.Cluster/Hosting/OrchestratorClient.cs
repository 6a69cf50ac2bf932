using System.Diagnostics;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Cluster.Vfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// What the API, the CLI and tests call: inventory, VFs, placement and migrations, on any node. Answers are
/// values or a <see cref="ClientError"/> naming what was wrong; nothing is half-done.
/// </summary>
public sealed class OrchestratorClient(ActorSystem system, IActorRef migrations, IActorRef placement)
{
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The policy of a migration started without one (evacuations; the node's <c>policy.*</c> keys).</summary>
    public MigrationPolicy DefaultPolicy { get; init; } = MigrationPolicy.Default;

    /// <summary>The evacuation jobs' shard region (set by the runtime).</summary>
    public IActorRef Evacuations { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The journal's migration events in its global order (set by the runtime); null when it keeps none (in memory).</summary>
    public MigrationJournal? Journal { get; init; }

    /// <summary>How long an inventory read waits for a majority of nodes before it settles for this node's copy.</summary>
    public TimeSpan InventoryReadTimeout { get; init; } = TimeSpan.FromSeconds(3);

    private CoalescedRead<InventoryView>? _inventoryRead;

    /// <summary>
    /// The directory as a majority of nodes hold it: it already shows every change a PF has answered a migration step or
    /// a VF command for (hosts write those to a majority first), so once any node has answered a migration as ended,
    /// this read shows its workload where it ended (DESIGN invariant 7). With no majority reachable within
    /// <see cref="InventoryReadTimeout"/> it answers this node's copy, which may lag. Concurrent callers share reads
    /// (<see cref="CoalescedRead{T}"/>), never one begun before they called: a burst of requests costs a few reads of
    /// the whole directory, not one per request.
    /// </summary>
    public Task<InventoryView> GetInventoryAsync(CancellationToken ct = default) =>
        LazyInitializer.EnsureInitialized(ref _inventoryRead, () => new CoalescedRead<InventoryView>(ReadMajorityAsync)).ReadAsync(ct);

    private async Task<InventoryView> ReadMajorityAsync()
    {
        // The replicator answers GetFailure after the read timeout; the ask's own margin covers a busy replicator.
        var read = await HostDirectory.ReadAsync(DistributedData.Get(system).Replicator, new ReadMajority(InventoryReadTimeout), InventoryReadTimeout * 2).ConfigureAwait(false);
        if (read is null)
        {
            system.Log.Debug("inventory: no majority answered within {Timeout}; reading this node's copy", InventoryReadTimeout);
            return await ReadLocalAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return read.View;
    }

    /// <summary>Waits until this node's copy of the directory shows at least <paramref name="hosts"/> hosts (start-up, tests).</summary>
    public async Task<InventoryView> WaitForHostsAsync(int hosts, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var view = await ReadLocalAsync(ct).ConfigureAwait(false);
            if (view.Hosts.Count >= hosts || DateTime.UtcNow > deadline)
            {
                return view;
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private async Task<InventoryView> ReadLocalAsync(CancellationToken ct)
    {
        var read = await HostDirectory.ReadAsync(DistributedData.Get(system).Replicator, ReadLocal.Instance, AskTimeout, ct).ConfigureAwait(false);
        return read?.View ?? InventoryView.Empty;
    }

    public async Task<IReadOnlyList<MigrationView>> ListMigrationsAsync(CancellationToken ct = default)
    {
        var views = await MigrationIndex.ReadAsync(DistributedData.Get(system).Replicator, ReadLocal.Instance, AskTimeout, ct).ConfigureAwait(false);
        return [.. views.OrderBy(v => v.CreatedAt).ThenBy(v => v.Id)];
    }

    /// <summary>
    /// Ended migrations read from the journal, however long ago they ended (the index lists only the recent ones): a
    /// page of those whose terminal event comes after the journal ordering <paramref name="after"/>, in the order they
    /// ended (see <see cref="MigrationJournal.EndedAsync"/>). Unsupported when the journal keeps no global order (in
    /// memory); Unavailable when the database does not answer.
    /// </summary>
    public async Task<Result<EndedPage>> ListEndedMigrationsAsync(long after, int limit, Func<MigrationView, bool>? matches = null, CancellationToken ct = default)
    {
        if (Journal is null)
        {
            return ClientError.Unsupported("this node's journal is in memory and keeps no global order of events: ended migrations cannot be listed from it; GET /migrations/{id} reads any migration");
        }

        try
        {
            return await Journal.EndedAsync(after, limit, matches, MigrationJournal.ExaminedPerPage, ct).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException e)
        {
            return ClientError.Unavailable($"the journal did not answer: {e.Message}");
        }
    }

    /// <summary>Starts a migration of a workload's VFs (all of them move together).</summary>
    public async Task<Result<MigrationView>> StartMigrationAsync(MigrationId id, WorkloadId workload, HostId? target, MigrationPolicy? policy = null, CancellationToken ct = default)
    {
        // A request sent while the workload's previous migration ended may have read its VFs where they were: the
        // authority refuses that claim (SourceMoved, nothing started) and one more read sees where they are now.
        // The root of the migration's trace (the same id again adds a span to the same trace).
        var span = MigrationTracing.Start("migration.start", id, null, kind: ActivityKind.Server);
        span?.SetTag(MigrationTracing.WorkloadAttribute, workload.ToString());
        string? error = "no answer";
        try
        {
            var result = await TryStartMigrationAsync(id, workload, target, policy, span?.Id, ct).ConfigureAwait(false);
            if (result.Error?.Code == RejectedCodes.SourceMoved)
            {
                result = await TryStartMigrationAsync(id, workload, target, policy, span?.Id, ct).ConfigureAwait(false);
            }

            error = result.Error?.Message;
            return result;
        }
        finally
        {
            MigrationTracing.End(span, error);
        }
    }

    private async Task<Result<MigrationView>> TryStartMigrationAsync(MigrationId id, WorkloadId workload, HostId? target, MigrationPolicy? policy, string? traceParent, CancellationToken ct)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        var vfs = inventory.Inventory.VfsOf(workload);
        if (vfs.Count == 0)
        {
            return ClientError.NotFound($"workload '{workload}' has no VF in the inventory");
        }

        if (target is { } t && inventory.Inventory.FindHost(t) is null)
        {
            return ClientError.NotFound($"target host '{t}' is not in the inventory");
        }

        // A workload whose VFs are on two hosts is mid-migration (its target VFs exist): that request can never be valid,
        // and the caller needs to hear which migration holds the workload (409 WorkloadBusy), not that the request is
        // malformed. Only a code for a request refused anyway: whether a workload is free is the authority's to say.
        if (vfs.Select(v => v.Id.Host).Distinct().Count() > 1
            && vfs.Select(v => inventory.Hosts.TryGetValue(v.Id.Host, out var h) && h.VfMigrations.TryGetValue(v.Id, out var m) ? m : (MigrationId?)null)
                .FirstOrDefault(m => m is not null) is { } holder)
        {
            return ClientError.Conflict($"workload '{workload}' is being migrated by {holder} (its VFs are on {string.Join(" and ", vfs.Select(v => v.Id.Host).Distinct().Order())}); retry once it has ended", RejectedCodes.WorkloadBusy);
        }

        // No look at the replicated index here: it lags, and two nodes would both see "not migrating". The coordinator
        // asks the placement authority to hold the workload before it writes the request (WorkloadBusy, 409).
        var request = new MigrationCommands.RequestMigration(id, workload, [.. vfs.Select(v => v.Id).OrderBy(v => v)], target, policy ?? DefaultPolicy);
        return await AskMigrationAsync(id, new CoordinatorProtocol.StartMigration(request, traceParent), ct).ConfigureAwait(false);
    }

    public Task<Result<MigrationView>> GetMigrationAsync(MigrationId id, CancellationToken ct = default) =>
        AskMigrationAsync(id, CoordinatorProtocol.GetMigration.Instance, ct);

    public Task<Result<MigrationView>> AbortAsync(MigrationId id, string reason, CancellationToken ct = default) =>
        AskMigrationAsync(id, new CoordinatorProtocol.AbortMigration(reason), ct);

    /// <summary>
    /// Makes sure migration <paramref name="id"/> never starts if it has not: the view, RolledBack with code Aborted
    /// and no Requested checkpoint when it was withdrawn (see <see cref="CoordinatorProtocol.WithdrawMigration"/>).
    /// </summary>
    public Task<Result<MigrationView>> WithdrawAsync(MigrationId id, WorkloadId workload, string reason, CancellationToken ct = default) =>
        AskMigrationAsync(id, new CoordinatorProtocol.WithdrawMigration(workload, reason), ct);

    public Task<Result<MigrationView>> SwitchoverAsync(MigrationId id, bool force, CancellationToken ct = default) =>
        AskMigrationAsync(id, new CoordinatorProtocol.Switchover(force), ct);

    /// <summary>Changes a running migration's downtime limit and bandwidth cap (before its switchover).</summary>
    public Task<Result<MigrationView>> ChangePolicyAsync(MigrationId id, TimeSpan? downtimeLimit, long? bandwidthCap, bool clearBandwidthCap, CancellationToken ct = default) =>
        AskMigrationAsync(id, new CoordinatorProtocol.ChangeMigrationPolicy(downtimeLimit, bandwidthCap, clearBandwidthCap), ct);

    /// <summary>Which targets fit a workload, and why every other one was rejected; reserves nothing.</summary>
    public async Task<Result<PlacementResult>> QueryPlacementAsync(WorkloadId workload, HostId? target, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        var vfs = inventory.Inventory.VfsOf(workload);
        if (vfs.Count == 0)
        {
            return ClientError.NotFound($"workload '{workload}' has no VF in the inventory");
        }

        var answer = await placement.Ask<PlacementProtocol.PlacementAnswer>(
            new PlacementProtocol.QueryPlacement(new PlacementRequest(workload, [.. vfs.Select(v => v.Id)], target)), AskTimeout, ct).ConfigureAwait(false);
        return answer.Result;
    }

    /// <summary>
    /// Creates a VF on <paramref name="pf"/>, at <paramref name="index"/> or at an index the placement authority picks: never
    /// one a migration holds or has reserved as its target, and no migration takes it while it is being created.
    /// </summary>
    public Task<Result<CreateVfReply>> CreateVfAsync(PfId pf, VfKind kind, ProfileId profile, WorkloadId? workload, int? index = null, CancellationToken ct = default) =>
        CreateVfAsync(pf, kind, profile, workload, index, requestKey: null, ct);

    /// <summary>
    /// As <see cref="CreateVfAsync(PfId, VfKind, ProfileId, WorkloadId?, int?, CancellationToken)"/>; with
    /// <paramref name="requestKey"/> the PF answers the VF an earlier request with the same key created (or is creating).
    /// </summary>
    public async Task<Result<CreateVfReply>> CreateVfAsync(PfId pf, VfKind kind, ProfileId profile, WorkloadId? workload, int? index, string? requestKey, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.PfRef(pf) is not { } actor)
        {
            return ClientError.NotFound(inventory.NoPf(pf));
        }

        var gate = await BeginVfChangeAsync(pf, index, destroy: false, ct).ConfigureAwait(false);
        if (gate.Error is { } refused)
        {
            return refused;
        }

        var vf = gate.Value;
        try
        {
            var reply = await actor.Ask<object>(new CreateVf(kind, profile, workload, vf.Index, RequestKey: requestKey, RequestedIndex: index), AskTimeout, ct).ConfigureAwait(false);
            return reply switch
            {
                CreateVfReply created => created,
                VfCommandFailed { IsConflict: true } failed => ClientError.Conflict(failed.Reason),
                VfCommandFailed failed => ClientError.Invalid(failed.Reason),
                _ => ClientError.Invalid($"unexpected answer {reply.GetType().Name}"),
            };
        }
        finally
        {
            placement.Tell(new PlacementProtocol.EndVfChange(vf));
        }
    }

    /// <summary>
    /// One VF as its own actor holds it, read through its PF (not the replicated directory): identity, the state the PF
    /// last observed and its last transitions.
    /// </summary>
    public async Task<Result<VfProtocol.VfStatus>> GetVfStatusAsync(VfId vf, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.PfRef(vf.Pf) is not { } pf)
        {
            return ClientError.NotFound($"VF '{vf}' does not exist");
        }

        var answer = await pf.Ask<object>(new VfProtocol.GetVfStatus(vf.Index), AskTimeout, ct).ConfigureAwait(false);
        return answer switch
        {
            VfProtocol.VfStatus status => status,
            VfCommandFailed failed => ClientError.NotFound(failed.Reason),
            _ => ClientError.Invalid($"unexpected answer {answer.GetType().Name}"),
        };
    }

    /// <summary>
    /// Destroys <paramref name="vf"/>: a conflict naming the migration while one holds it (its source from the request on,
    /// or its reserved target), always; and while it serves a workload, unless <paramref name="force"/>.
    /// </summary>
    public async Task<Result<DestroyVfReply>> DestroyVfAsync(VfId vf, bool force = false, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.PfRef(vf.Pf) is not { } actor)
        {
            return ClientError.NotFound(inventory.NoPf(vf.Pf));
        }

        if (inventory.Inventory.FindVf(vf) is null)
        {
            return ClientError.NotFound($"VF '{vf}' does not exist");
        }

        var gate = await BeginVfChangeAsync(vf.Pf, vf.Index, destroy: true, ct).ConfigureAwait(false);
        if (gate.Error is { } refused)
        {
            return refused;
        }

        try
        {
            var reply = await actor.Ask<object>(new DestroyVf(vf, force), AskTimeout, ct).ConfigureAwait(false);
            return reply switch
            {
                DestroyVfReply destroyed => destroyed,
                VfCommandFailed failed => ClientError.Conflict(failed.Reason),
                _ => ClientError.Invalid($"unexpected answer {reply.GetType().Name}"),
            };
        }
        finally
        {
            placement.Tell(new PlacementProtocol.EndVfChange(vf));
        }
    }

    /// <summary>Asks the placement authority to let an operator's VF change go ahead (see <see cref="PlacementProtocol.BeginVfChange"/>).</summary>
    private async Task<Result<VfId>> BeginVfChangeAsync(PfId pf, int? index, bool destroy, CancellationToken ct)
    {
        object answer;
        try
        {
            answer = await placement.Ask<object>(new PlacementProtocol.BeginVfChange(pf, index, destroy), AskTimeout, ct).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return ClientError.Unavailable($"the placement authority did not answer within {AskTimeout.TotalSeconds:0.#} s; nothing was changed, try again");
        }

        return answer switch
        {
            PlacementProtocol.VfChangeAllowed allowed => allowed.Vf,
            PlacementProtocol.VfChangeRefused { HeldBy: not null } refused => ClientError.Conflict(refused.Reason, "VfHeldByMigration"),
            PlacementProtocol.VfChangeRefused refused => ClientError.Conflict(refused.Reason),
            _ => ClientError.Invalid($"unexpected answer {answer.GetType().Name}"),
        };
    }

    public async Task<Result<HostProtocol.CordonState>> CordonAsync(HostId host, bool cordon, string? reason = null, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.HostRef(host) is not { } actor)
        {
            return ClientError.NotFound($"host '{host}' is not in the inventory");
        }

        object message = cordon ? new HostProtocol.Cordon(reason) : HostProtocol.Uncordon.Instance;
        return await actor.Ask<HostProtocol.CordonState>(message, AskTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the host's reconciler now (<paramref name="run"/> true) or reads its last report: what it compared, what it
    /// cleaned, what it left alone and why.
    /// </summary>
    public async Task<Result<ReconcilerProtocol.ReconcileReport>> ReconcileAsync(HostId host, bool run, CancellationToken ct = default) =>
        await ReconcileAsync(host, run, dryRun: false, ct).ConfigureAwait(false);

    /// <summary>
    /// The host reconciler's last report, or (<paramref name="run"/>) a run now; with <paramref name="dryRun"/> a
    /// comparison that cleans nothing and says what a run would clean.
    /// </summary>
    public async Task<Result<ReconcilerProtocol.ReconcileReport>> ReconcileAsync(HostId host, bool run, bool dryRun, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.HostRef(host) is not { } actor)
        {
            return ClientError.NotFound($"host '{host}' is not in the inventory");
        }

        object message = dryRun ? new ReconcilerProtocol.ReconcileNow("api", DryRun: true)
            : run ? new ReconcilerProtocol.ReconcileNow("api") : ReconcilerProtocol.GetReconcileReport.Instance;
        try
        {
            return await actor.Ask<ReconcilerProtocol.ReconcileReport>(message, AskTimeout, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            return ClientError.Conflict(ex.Message);
        }
    }

    /// <summary>Starts (or answers, for the same id) a job that cordons the host and migrates every workload off it.</summary>
    public async Task<Result<EvacuationView>> StartEvacuationAsync(string id, HostId host, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.HostRef(host) is null)
        {
            return ClientError.NotFound($"host '{host}' is not in the inventory");
        }

        return await AskEvacuationAsync(id, new EvacuationProtocol.StartEvacuation(host), ct).ConfigureAwait(false);
    }

    public Task<Result<EvacuationView>> GetEvacuationAsync(string id, CancellationToken ct = default) =>
        AskEvacuationAsync(id, EvacuationProtocol.GetEvacuation.Instance, ct);

    /// <summary>Cancels a job (idempotent): nothing more starts, its migrations not yet Committed roll back.</summary>
    public Task<Result<EvacuationView>> CancelEvacuationAsync(string id, string reason, CancellationToken ct = default) =>
        AskEvacuationAsync(id, new EvacuationProtocol.CancelEvacuation(reason), ct);

    /// <summary>
    /// Every job of the replicated evacuation index, as this node's replica has it: running ones, and ended ones within
    /// the index retention. By id, any job answers from its journal.
    /// </summary>
    public async Task<IReadOnlyList<EvacuationView>> ListEvacuationsAsync(CancellationToken ct = default)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var response = await replicator.Ask<IGetResponse>(Dsl.Get(EvacuationIndex.Key, ReadLocal.Instance), AskTimeout, ct).ConfigureAwait(false);
        return response is GetSuccess success ? [.. success.Get(EvacuationIndex.Key).Entries.Values] : [];
    }

    /// <summary>
    /// The dry run of an evacuation: for every workload on the host, where placement would send it now, or why it
    /// cannot move. Reserves and cordons nothing.
    /// </summary>
    public async Task<Result<IReadOnlyList<EvacuationPlanItem>>> PlanEvacuationAsync(HostId host, CancellationToken ct = default)
    {
        var inventory = await GetInventoryAsync(ct).ConfigureAwait(false);
        if (inventory.Inventory.FindHost(host) is not { } hostInventory)
        {
            return ClientError.NotFound($"host '{host}' is not in the inventory");
        }

        var plan = new List<EvacuationPlanItem>();
        foreach (var workload in hostInventory.Pfs.SelectMany(p => p.Vfs).Where(v => v.Workload is not null).Select(v => v.Workload!.Value).Distinct().Order())
        {
            var placement = await QueryPlacementAsync(workload, null, ct).ConfigureAwait(false);
            plan.Add(placement.Value?.Target is { } target
                ? new EvacuationPlanItem(workload, target.Host, null)
                : new EvacuationPlanItem(workload, null, placement.Error?.Message ?? placement.Value?.Explain()));
        }

        return plan;
    }

    private async Task<Result<EvacuationView>> AskEvacuationAsync(string id, object message, CancellationToken ct)
    {
        var reply = await Evacuations.Ask<object>(new EvacuationEnvelope(id, message), AskTimeout, ct).ConfigureAwait(false);
        return reply switch
        {
            EvacuationView view => view,
            EvacuationProtocol.EvacuationRejected rejected => ClientError.Conflict(rejected.Reason),
            EvacuationProtocol.UnknownEvacuation => ClientError.NotFound($"evacuation '{id}' does not exist"),
            _ => ClientError.Invalid($"unexpected answer {reply.GetType().Name}"),
        };
    }

    private async Task<Result<MigrationView>> AskMigrationAsync(MigrationId id, object message, CancellationToken ct)
    {
        var reply = await migrations.Ask<object>(new MigrationEnvelope(id, message), AskTimeout, ct).ConfigureAwait(false);
        return reply switch
        {
            MigrationView view => view,
            CoordinatorProtocol.Rejected { Code: RejectedCodes.Unavailable } rejected => ClientError.Unavailable(rejected.Reason),
            CoordinatorProtocol.Rejected rejected => ClientError.Conflict(rejected.Reason, rejected.Code),
            CoordinatorProtocol.Unknown => ClientError.NotFound($"migration '{id}' does not exist"),
            _ => ClientError.Invalid($"unexpected answer {reply.GetType().Name}"),
        };
    }
}

/// <summary>One workload of an evacuation's dry run: the target placement would choose now, or why none fits.</summary>
public sealed record EvacuationPlanItem(WorkloadId Workload, HostId? Target, string? Reason);

/// <summary>What went wrong with a client call: a kind the API maps to a status, and a message naming the value.</summary>
public sealed record ClientError(ClientErrorKind Kind, string Message, string? Code = null)
{
    public static ClientError NotFound(string message) => new(ClientErrorKind.NotFound, message);

    public static ClientError Conflict(string message, string? code = null) => new(ClientErrorKind.Conflict, message, code);

    public static ClientError Invalid(string message) => new(ClientErrorKind.Invalid, message);

    public static ClientError Unavailable(string message) => new(ClientErrorKind.Unavailable, message);

    public static ClientError Unsupported(string message) => new(ClientErrorKind.Unsupported, message);
}

/// <summary>Kinds of client errors (404, 409, 400, 503, 501).</summary>
public enum ClientErrorKind
{
    NotFound,
    Conflict,
    Invalid,

    /// <summary>Nothing was done because a part of the cluster did not answer in time; asking again is safe.</summary>
    Unavailable,

    /// <summary>This node cannot do it at all with its configuration (for example an in-memory journal); asking again does not help.</summary>
    Unsupported,
}

/// <summary>A value or a <see cref="ClientError"/>.</summary>
public readonly record struct Result<T>(T? Value, ClientError? Error)
{
    public bool IsOk => Error is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(ClientError error) => new(default, error);
}
