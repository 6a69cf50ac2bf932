using Orchestrator.Cluster.Transfer;
using Orchestrator.Devices.Contract;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The source side of one migration on one PF: the saving streams of the workload's VFs and a state-stream sender
/// each. Pre-copy rounds stream what the device has while the workload runs; stop-copy streams the rest.
/// </summary>
internal sealed class SourceSession(MigrationTicket ticket, PfDeviceLane lane, PfActorSettings settings) : IAsyncDisposable
{
    private readonly Dictionary<VfId, SourceVf> _vfs = [];
    private const long UnmeasuredBandwidth = 100L << 20; // 100 MiB/s, well under loopback and any datacenter link
    private long _bandwidth;
    private static readonly int ChunkBurst = new StateTransferSenderOptions().ChunkSize; // the senders' chunk
    private TokenBucket? _bucket;

    public MigrationTicket Ticket { get; private set; } = ticket;

    public void Advance(MigrationTicket ticket) => Ticket = ticket;

    private bool PreCopySupported => lane.Driver.Descriptor.MigrationFlags.HasFlag(MigrationFlags.PreCopy);

    private bool P2PSupported => lane.Driver.Descriptor.MigrationFlags.HasFlag(MigrationFlags.P2P);

    public async Task<StartPreCopyReply> StartPreCopyAsync(IReadOnlyList<TargetVfOffer> offers, long bandwidthCap, string? traceParent, CancellationToken ct)
    {
        foreach (var offer in offers)
        {
            if (!_vfs.TryGetValue(offer.Source, out var vf))
            {
                vf = new SourceVf(offer);
                _vfs[offer.Source] = vf;
            }

            vf.Sender ??= await StateTransferSender.ConnectAsync(
                offer.Offer,
                new StateTransferSenderOptions { TimeProvider = settings.TimeProvider, Tls = settings.Tls, TraceParent = traceParent },
                ct).ConfigureAwait(false);
            if (PreCopySupported && vf.Stream is null)
            {
                vf.Stream = await lane.SetStateAsync(offer.Source.Index, VfioDeviceState.PreCopy, Ticket, ct).ConfigureAwait(false);
            }
        }

        SetBandwidthCap(bandwidthCap);
        var stopCopy = _vfs.Values.Sum(v => lane.Driver.GetStopCopySize(v.Offer.Source.Index));
        return new StartPreCopyReply(Ticket, PreCopySupported, stopCopy);
    }

    public async Task<PreCopyRoundReply> RunRoundAsync(int round, long bandwidthCap, CancellationToken ct)
    {
        SetBandwidthCap(bandwidthCap); // the policy may have changed since the last round

        var started = settings.TimeProvider.GetTimestamp();
        var before = _vfs.Values.Sum(v => v.Sender?.BytesSent ?? 0);
        // The VFs' segments run side by side, as their stop-copy streams do: one after another, each VF's round would
        // wait for the one before it, including its target's load of the first image (the segment that completes it is
        // acknowledged only after that load), and the first VFs would dirty pages all the while. Task.Run: a simulated
        // stream reads and hashes synchronously.
        var infos = await Task.WhenAll(_vfs.Values
            .Where(vf => vf.Stream is not null && vf.Sender is not null)
            .Select(vf => Task.Run(() => StreamRoundAsync(vf, started, ct), CancellationToken.None))).ConfigureAwait(false);
        var dirty = infos.Sum(i => i.DirtyBytes);
        var initialLeft = infos.Sum(i => i.InitialBytes);

        var elapsed = settings.TimeProvider.GetElapsedTime(started);
        if (round > 1 && elapsed < settings.MinPreCopyRound)
        {
            // Later rounds only carry what the workload dirtied meanwhile: give it time to dirty something, rather
            // than spin on near-empty rounds (each one is a checkpointed event). Round 1 is never delayed, so a small
            // state that converges at once pays nothing.
            await Task.Delay(settings.MinPreCopyRound - elapsed, settings.TimeProvider, ct).ConfigureAwait(false);
            elapsed = settings.TimeProvider.GetElapsedTime(started);
        }

        var total = _vfs.Values.Sum(v => v.Sender?.BytesSent ?? 0);
        var moved = total - before;
        if (elapsed > TimeSpan.Zero && (moved >= 1 << 20 || (_bandwidth == 0 && moved > 0)))
        {
            // A small round says more about latency than bandwidth, so a measure from ≥ 1 MiB wins; but a device
            // whose whole state is tiny (hisi_acc: 512 B) never moves that much, and an unmeasured link would predict
            // an infinite downtime. Its small-round measure is low, so the prediction errs long, never short.
            _bandwidth = (long)(moved / elapsed.TotalSeconds);
        }

        if (_bandwidth == 0)
        {
            _bandwidth = UnmeasuredBandwidth; // Nothing moved yet: assume a modest link rather than none.
        }

        var remaining = _vfs.Values.Sum(v => lane.Driver.GetStopCopySize(v.Offer.Source.Index));
        var dirtyRate = elapsed > TimeSpan.Zero ? (long)(dirty / elapsed.TotalSeconds) : 0;
        var (quiesce, stop) = StopEstimate();
        // The segment carrying the last initial bytes was acknowledged above, after the target wrote it to its device:
        // no initial bytes left is QEMU's INIT_DATA_SENT answered by the target's switchover-ack.
        return new PreCopyRoundReply(Ticket, round, moved, total, remaining, dirtyRate, _bandwidth, elapsed, quiesce, stop, TargetReady: initialLeft == 0);
    }

    private async Task<PreCopyInfo> StreamRoundAsync(SourceVf vf, long started, CancellationToken ct)
    {
        var stream = vf.Stream!;
        var result = await vf.Sender!.SendSegmentAsync(
            async (buffer, token) =>
            {
                if (settings.TimeProvider.GetElapsedTime(started) >= settings.MaxPreCopyRound)
                {
                    return 0; // A long round ends here and the next one goes on: it must not look like a stall.
                }

                var read = await stream.ReadAsync(buffer, token).ConfigureAwait(false);
                return read.Status == VfioReadStatus.Data ? read.BytesRead : 0; // NoDataYet ends the round.
            },
            isLast: false,
            ct).ConfigureAwait(false);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"{vf.Offer.Source}: pre-copy stream {result.Outcome}: {result.Detail}");
        }

        return stream.GetPreCopyInfo();
    }

    // One bucket for all of this PF's senders: the cap holds for the workload's streams together, however many VFs
    // stream at once. A new cap starts a new bucket.
    private void SetBandwidthCap(long bandwidthCap)
    {
        long? cap = bandwidthCap > 0 ? bandwidthCap : null;
        if (cap != _bucket?.BytesPerSecond)
        {
            _bucket = cap is { } c ? new TokenBucket(c, ChunkBurst, settings.TimeProvider) : null;
        }

        foreach (var vf in _vfs.Values)
        {
            vf.Sender?.SetBandwidthLimit(_bucket);
        }
    }

    // What this PF's device has taken for the arcs a switchover will walk: to P2P, then on to STOP_COPY.
    private (TimeSpan Quiesce, TimeSpan Stop) StopEstimate()
    {
        var flags = lane.Driver.Descriptor.MigrationFlags;
        TimeSpan quiesce = TimeSpan.Zero, stop = TimeSpan.Zero;
        foreach (var vf in _vfs.Values)
        {
            var state = lane.Driver.GetDeviceState(vf.Offer.Source.Index);
            var p2p = !P2PSupported ? state : state == VfioDeviceState.PreCopy ? VfioDeviceState.PreCopyP2P : VfioDeviceState.RunningP2P;
            quiesce = TimeSpan.FromTicks(Math.Max(quiesce.Ticks, lane.Arcs.Estimate(flags, state, p2p).Ticks));
            stop = TimeSpan.FromTicks(Math.Max(stop.Ticks, lane.Arcs.Estimate(flags, p2p, VfioDeviceState.StopCopy).Ticks));
        }

        return (quiesce, stop);
    }

    public async Task<QuiesceSourcesReply> QuiesceAsync(CancellationToken ct)
    {
        if (P2PSupported)
        {
            // Each VF on its own (the lane overlaps commands of different VFs); all are P2P before this answers.
            await Task.WhenAll(_vfs.Values.Select(async vf =>
            {
                var state = lane.Driver.GetDeviceState(vf.Offer.Source.Index);
                var p2p = state == VfioDeviceState.PreCopy ? VfioDeviceState.PreCopyP2P : VfioDeviceState.RunningP2P;
                if (state is not (VfioDeviceState.PreCopyP2P or VfioDeviceState.RunningP2P))
                {
                    await lane.SetStateAsync(vf.Offer.Source.Index, p2p, Ticket, ct).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
        }

        return new QuiesceSourcesReply(Ticket);
    }

    public async Task<StopAndCopyReply> StopAndCopyAsync(IReadOnlyList<TargetVfOffer> offers, string? traceParent, CancellationToken ct)
    {
        foreach (var offer in offers)
        {
            if (!_vfs.ContainsKey(offer.Source))
            {
                _vfs[offer.Source] = new SourceVf(offer);
            }
        }

        // Downtime starts when the first source VF leaves a running state. Every VF is quiesced (P2P) already, so each
        // goes to STOP_COPY and streams on its own: the multi-VF downtime is the slowest VF, not the sum, and one VF's
        // stream overlaps the next one's STOP_COPY command.
        // Task.Run: a simulated stream reads and hashes synchronously, so FinishAsync would otherwise run each VF to
        // its end before the next one starts.
        var stoppedAt = settings.TimeProvider.GetUtcNow();
        var results = await Task.WhenAll(_vfs.Values.Select(vf => Task.Run(
            async () =>
            {
                var opened = await lane.SetStateAsync(vf.Offer.Source.Index, VfioDeviceState.StopCopy, Ticket, ct).ConfigureAwait(false);
                vf.Stream = opened ?? vf.Stream ?? throw new VfioException(VfioErrno.EINVAL, $"{vf.Offer.Source}: STOP_COPY has no data stream");
                return await FinishAsync(vf, traceParent, ct).ConfigureAwait(false);
            },
            CancellationToken.None))).ConfigureAwait(false);
        return new StopAndCopyReply(Ticket, results, results.Sum(r => r.Bytes), stoppedAt);
    }

    public async Task<ResumeSourceReply> ResumeAsync(IReadOnlyList<VfId> sources, CancellationToken ct)
    {
        await DisposeStreamsAsync().ConfigureAwait(false);
        // A source reset out of ERROR runs with fresh device state; its VM never left this host, so the rollback still
        // ends with the workload here (RolledBack), and the reply names the reset VFs for the coordinator's log.
        var reset = await Task.WhenAll(sources.Select(source => lane.ResumeAsync(source.Index, Ticket, ct))).ConfigureAwait(false);

        _vfs.Clear();
        return new ResumeSourceReply(Ticket, [.. sources.Where((_, i) => reset[i])]);
    }

    public async Task<ReleaseSourceReply> ReleaseAsync(IReadOnlyList<VfId> sources, CancellationToken ct)
    {
        await DisposeStreamsAsync().ConfigureAwait(false);
        await Task.WhenAll(sources.Select(source => lane.DestroyAsync(source.Index, Ticket, ct))).ConfigureAwait(false);

        _vfs.Clear();
        return new ReleaseSourceReply(Ticket);
    }

    public async ValueTask DisposeAsync() => await DisposeStreamsAsync().ConfigureAwait(false);

    private async Task<VfChecksum> FinishAsync(SourceVf vf, string? traceParent, CancellationToken ct)
    {
        vf.Sender ??= await StateTransferSender.ConnectAsync(vf.Offer.Offer, new StateTransferSenderOptions { TimeProvider = settings.TimeProvider, Tls = settings.Tls, TraceParent = traceParent }, ct)
            .ConfigureAwait(false);
        var stream = vf.Stream!;
        var result = await vf.Sender.SendSegmentAsync(
            async (buffer, token) =>
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, token).ConfigureAwait(false);
                    switch (read.Status)
                    {
                        case VfioReadStatus.Data:
                            return read.BytesRead;
                        case VfioReadStatus.EndOfStream:
                            return 0;
                        default:
                            continue; // STOP_COPY never answers ENOMSG; a device that does is read again.
                    }
                }
            },
            isLast: true,
            ct).ConfigureAwait(false);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"{vf.Offer.Source}: stop-copy stream {result.Outcome}: {result.Detail}");
        }

        return new VfChecksum(vf.Offer.Source, result.Bytes, result.ChecksumHex);
    }

    private async Task DisposeStreamsAsync()
    {
        foreach (var vf in _vfs.Values)
        {
            if (vf.Sender is not null)
            {
                await vf.Sender.DisposeAsync().ConfigureAwait(false);
                vf.Sender = null;
            }

            if (vf.Stream is not null)
            {
                await vf.Stream.DisposeAsync().ConfigureAwait(false);
                vf.Stream = null;
            }
        }
    }

    private sealed class SourceVf(TargetVfOffer offer)
    {
        public TargetVfOffer Offer { get; } = offer;

        public IVfioDataStream? Stream { get; set; }

        public StateTransferSender? Sender { get; set; }
    }
}
