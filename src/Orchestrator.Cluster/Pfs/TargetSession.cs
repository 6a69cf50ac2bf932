using Akka.Event;
using Orchestrator.Cluster.Transfer;
using Orchestrator.Devices.Contract;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The target side of one migration on one PF: the target VFs in RESUMING, their resuming streams and one
/// state listener each. Steps run one at a time (the coordinator sends the next only after the answer).
/// </summary>
/// <remarks>
/// The session destroys only what its migration created: the indices whose create it ran and saw succeed. A VF that
/// was at a target index before the create (an operator's, another migration's) makes the create fail and is never
/// touched. A session that does not know (its PF actor restarted, so it is new) destroys a requested target only
/// when the VF there is evidently the migration's target: labelled with the migration's workload and in a state only
/// a prepared target is in (RESUMING, STOP, ERROR). A RUNNING VF is never destroyed that way, even when labelled with
/// the workload: before Committed a target never runs, so a RUNNING VF labelled with the workload may be the
/// workload's own copy (a later migration's target, or a VF the operator made for it); losing a leftover to the host
/// reconciler and an operator is cheaper than destroying the only VF a workload runs on.
/// </remarks>
internal sealed class TargetSession(MigrationTicket ticket, PfDeviceLane lane, PfActorSettings settings, ILoggingAdapter log) : IAsyncDisposable
{
    private static readonly HashSet<VfioDeviceState> PreparedStates = [VfioDeviceState.Resuming, VfioDeviceState.Stop, VfioDeviceState.Error];

    private readonly List<TargetVf> _vfs = [];
    private readonly HashSet<int> _created = []; // indices this session created and has not destroyed; guarded by itself

    public MigrationTicket Ticket { get; private set; } = ticket;

    public IReadOnlyList<VfId> Targets => [.. _vfs.Select(v => v.Spec.Target)];

    public void Advance(MigrationTicket ticket) => Ticket = ticket;

    /// <summary>Whether this session created the VF at <paramref name="index"/> and has not destroyed it.</summary>
    public bool Created(int index)
    {
        lock (_created)
        {
            return _created.Contains(index);
        }
    }

    /// <summary>RESUMING, STOP or ERROR: where a prepared target is before Committed, and where no workload runs.</summary>
    public static bool IsPreparedState(VfioDeviceState state) => PreparedStates.Contains(state);

    public async Task<PrepareTargetReply> PrepareAsync(IReadOnlyList<TargetVfSpec> specs, CancellationToken ct)
    {
        if (_vfs.Count > 0)
        {
            // Prepared already under an older epoch of the same migration: the offers still stand.
            return new PrepareTargetReply(Ticket, [.. _vfs.Select(v => v.OfferFor())], LoadEstimate());
        }

        // Each VF on its own: create, RESUMING, listener (the lane overlaps commands of different VFs).
        var prepared = await Task.WhenAll(specs.Select(spec => PrepareOneAsync(spec, ct).ContinueWith(t => t, TaskScheduler.Default)))
            .ConfigureAwait(false);
        _vfs.AddRange(prepared.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
        try
        {
            foreach (var failed in prepared.Where(t => !t.IsCompletedSuccessfully))
            {
                await failed.ConfigureAwait(false); // rethrows the first failure
            }
        }
        catch
        {
            // Only what this session created goes: a VF that sat at a target index already is not ours to destroy.
            await DisposeListenersAsync().ConfigureAwait(false);
            _vfs.Clear();
            await DestroyCreatedAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return new PrepareTargetReply(Ticket, [.. _vfs.Select(v => v.OfferFor())], LoadEstimate());
    }

    // What this PF's device has taken to load (RESUMING→STOP) and start (STOP→RUNNING): the target's part of the window.
    private TimeSpan LoadEstimate()
    {
        var flags = lane.Driver.Descriptor.MigrationFlags;
        return lane.Arcs.Estimate(flags, VfioDeviceState.Resuming, VfioDeviceState.Stop) + lane.Arcs.Estimate(flags, VfioDeviceState.Stop, VfioDeviceState.Running);
    }

    private async Task<TargetVf> PrepareOneAsync(TargetVfSpec spec, CancellationToken ct)
    {
        var index = spec.Target.Index;
        await lane.RunAsync(index, d =>
        {
            // Looked at in the lane, so that nothing of this VF runs between the look and the create.
            if (d.ListVfs().FirstOrDefault(v => v.Index == index) is { } present)
            {
                throw new VfioException(VfioErrno.EBUSY, $"{spec.Target}: a VF exists at that index already ({present.Kind}, '{present.Profile}', {present.State.Name()}); this migration did not create it and leaves it alone");
            }

            return d.CreateVfAsync(spec.Kind, spec.Profile, index, ct);
        }, ct).ConfigureAwait(false);
        lock (_created)
        {
            _created.Add(index);
        }

        var stream = await lane.SetStateAsync(spec.Target.Index, VfioDeviceState.Resuming, Ticket, ct).ConfigureAwait(false)
                     ?? throw new VfioException(VfioErrno.EINVAL, $"{spec.Target}: RESUMING opened no data stream");
        var listener = StateTransferListener.Start(
            Ticket.Migration.ToString(),
            Ticket.Epoch.Value,
            (data, token) => stream.WriteAsync(data, token),
            new StateTransferListenerOptions
            {
                BindAddress = settings.TransferBindAddress,
                Port = settings.TransferPorts?.First ?? 0,
                LastPort = settings.TransferPorts?.Last,
                IdleTimeout = settings.TransferIdleTimeout,
                TimeProvider = settings.TimeProvider,
                Tls = settings.Tls,
            });
        return new TargetVf(spec, stream, listener, settings.TransferAdvertisedHost);
    }

    public async Task<LoadTargetReply> LoadAsync(CancellationToken ct)
    {
        if (_vfs.Count == 0)
        {
            throw new InvalidOperationException($"{Ticket}: no target VFs prepared on this PF (node restarted?)");
        }

        // Each VF loads as soon as its own stream is in, while the others still arrive or load.
        var checksums = await Task.WhenAll(_vfs.Select(async vf =>
        {
            var received = await vf.Listener.Completion.WaitAsync(settings.LoadTimeout, settings.TimeProvider, ct).ConfigureAwait(false);
            if (!received.IsOk)
            {
                throw new InvalidOperationException($"{vf.Spec.Target}: state stream {received.Outcome}: {received.Detail}");
            }

            log.Info("[{Migration}] epoch {Epoch}: {Vf} state stream in on port {Port}, {Bytes} bytes over {Security}", Ticket.Migration, Ticket.Epoch, vf.Spec.Target, vf.Listener.LocalEndPoint.Port, received.Bytes, vf.Listener.Security);

            // RESUMING -> STOP: the device validates match data and the stream; a bad stream fails here (VF to ERROR).
            await lane.SetStateAsync(vf.Spec.Target.Index, VfioDeviceState.Stop, Ticket, ct).ConfigureAwait(false);
            return new VfChecksum(vf.Spec.Target, received.Bytes, received.ChecksumHex, vf.Spec.Source);
        })).ConfigureAwait(false);

        return new LoadTargetReply(Ticket, checksums);
    }

    public async Task<StartTargetReply> StartAsync(IReadOnlyList<VfId> targets, CancellationToken ct)
    {
        // Idempotent by device state: a VF already RUNNING is started; after a node restart the session is empty
        // but the devices still are where the last epoch left them.
        // After Committed the target must run: if an arc fails and leaves the VF in ERROR, reset it (the kernel's only
        // way out of ERROR, as QEMU does) rather than retry an arc that can no longer succeed. A reset VF runs with fresh
        // state, not the state it loaded: the reply names it, and the coordinator ends the migration Failed.
        var reset = await Task.WhenAll(targets.Select(target => lane.ResumeAsync(target.Index, Ticket, ct))).ConfigureAwait(false);
        var running = settings.TimeProvider.GetUtcNow(); // downtime ends here, not after closing the listeners
        await DisposeListenersAsync().ConfigureAwait(false);
        return new StartTargetReply(Ticket, running, [.. targets.Where((_, i) => reset[i])]);
    }

    /// <summary>
    /// Destroys what this migration created here, and, of the other <paramref name="targets"/>, what is evidently its
    /// target (see the remarks on the class); never a VF in <paramref name="foreign"/> (held by another migration).
    /// </summary>
    /// <param name="targets">The target VFs the coordinator names.</param>
    /// <param name="workload">The migration's workload (null from a coordinator that did not say: nothing is evident).</param>
    /// <param name="labels">The PF's workload label of each of <paramref name="targets"/>, read on the actor's thread.</param>
    /// <param name="foreign">Indices held by other migrations on this PF.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<DestroyTargetReply> DestroyAsync(
        IReadOnlyList<VfId> targets,
        WorkloadId? workload,
        IReadOnlyDictionary<int, WorkloadId?> labels,
        IReadOnlySet<int> foreign,
        CancellationToken ct)
    {
        await DisposeListenersAsync().ConfigureAwait(false);
        _vfs.Clear();
        List<int> created;
        lock (_created)
        {
            created = [.. _created];
        }

        var unknown = targets.Select(t => t.Index).Where(i => !created.Contains(i)).Distinct().ToList();
        await Task.WhenAll(
                created.Select(index => DestroyOneAsync(index, "created by it", _ => foreign.Contains(index) ? "held by another migration" : null))
                .Concat(unknown.Select(index => DestroyOneAsync(index, "not created by it", vf => NotEvident(vf, workload, labels.GetValueOrDefault(index), foreign)))))
            .ConfigureAwait(false);
        return new DestroyTargetReply(Ticket);

        async Task DestroyOneAsync(int index, string what, Func<VfDescriptor, string?> refusal)
        {
            if (await lane.DestroyIfAsync(index, refusal, Ticket, ct).ConfigureAwait(false) is { } reason)
            {
                log.Warning("[{Migration}] destroy-target leaves VF {Vf} ({State}): {Reason}", Ticket.Migration, index, what, reason);
                return;
            }

            lock (_created)
            {
                _created.Remove(index);
            }
        }
    }

    private static string? NotEvident(VfDescriptor vf, WorkloadId? workload, WorkloadId? label, IReadOnlySet<int> foreign)
    {
        if (foreign.Contains(vf.Index))
        {
            return "held by another migration";
        }

        if (workload is null || label != workload)
        {
            return $"labelled with workload {label?.ToString() ?? "(none)"}, not the migration's {workload?.ToString() ?? "(unknown)"}";
        }

        return PreparedStates.Contains(vf.State)
            ? null
            : $"in {vf.State.Name()}, a state a prepared target is never in before Committed: it may be the workload's own copy";
    }

    private async Task DestroyCreatedAsync(CancellationToken ct)
    {
        List<int> created;
        lock (_created)
        {
            created = [.. _created];
        }

        await Task.WhenAll(created.Select(index => lane.DestroyAsync(index, Ticket, ct))).ConfigureAwait(false);
        lock (_created)
        {
            _created.ExceptWith(created);
        }
    }

    public async ValueTask DisposeAsync() => await DisposeListenersAsync().ConfigureAwait(false);

    private async Task DisposeListenersAsync()
    {
        foreach (var vf in _vfs)
        {
            await vf.Listener.DisposeAsync().ConfigureAwait(false);
            await vf.Stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed record TargetVf(TargetVfSpec Spec, IVfioDataStream Stream, StateTransferListener Listener, string? AdvertisedHost)
    {
        public TargetVfOffer OfferFor() => new(
            Spec.Source,
            Spec.Target,
            AdvertisedHost is null ? Listener.Offer : Listener.Offer with { Host = AdvertisedHost });
    }
}
