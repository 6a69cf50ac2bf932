using Orchestrator.Devices.Contract;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// One VF's migration between two simulated PFs in one process, walking the VFIO state machine through
/// <see cref="VfioDevice.SetStateAsync"/> exactly as the protocol does (DESIGN.md §4), without the cluster: the demo of
/// the device layer and the reference the cluster's transfer is compared with.
/// <code>
///   target: create VF (same kind+profile) → RESUMING                        (TargetPrepared)
///   source: RUNNING → PRE_COPY, rounds of reads → target writes            (PreCopying)
///   source: → PRE_COPY_P2P (P2P first) → STOP_COPY, read to end of stream  (SwitchoverStarted, StateTransferred)
///   target: RESUMING → STOP (validates) → RUNNING                          (TargetLoaded, Committed, TargetRunning)
///   source: → STOP, reset, destroy                                         (SourceReleased)
///   any failure before the target runs: source back to RUNNING (reset if needed), target VF destroyed (RolledBack)
/// </code>
/// </summary>
public static class LocalMigration
{
    /// <summary>Migrates <paramref name="sourceVf"/> of <paramref name="source"/> to a new VF on <paramref name="target"/>.</summary>
    public static async Task<LocalMigrationResult> RunAsync(
        SimulatedPfDriver source,
        int sourceVf,
        SimulatedPfDriver target,
        LocalMigrationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        options ??= new LocalMigrationOptions();
        var time = options.TimeProvider;
        var src = new Recorder(source);
        var dst = new Recorder(target);
        var rounds = new List<LocalMigrationRound>();
        var started = time.GetTimestamp();
        long preCopyBytes = 0, stopCopyBytes = 0;
        long switchoverStarted = 0;
        var targetVf = -1;
        var committed = false;
        var buffer = new byte[options.ChunkBytes];
        src.Path.Add(source.GetDeviceState(sourceVf));
        try
        {
            var info = source.GetVfInfo(sourceVf);
            Step(options, $"target {target.Descriptor.Address}: create VF ({info.Kind}, {info.Profile}) and move it to RESUMING");
            var created = await target.CreateVfAsync(info.Kind, info.Profile, null, cancellationToken).ConfigureAwait(false);
            targetVf = created.Index;
            target.SetDirtyRate(targetVf, info.DirtyBytesPerSecond); // the workload moves with its state
            dst.Path.Add(created.State);
            var sink = await VfioDevice.SetStateAsync(dst, targetVf, S.Resuming, cancellationToken).ConfigureAwait(false)
                ?? throw new VfioException(VfioErrno.EIO, "RESUMING opened no data stream");

            var flags = source.Descriptor.MigrationFlags;
            IVfioDataStream? saving = null;
            if (flags.HasFlag(MigrationFlags.PreCopy))
            {
                Step(options, $"source {source.Descriptor.Address}: RUNNING -> PRE_COPY, stream while the workload runs");
                saving = await VfioDevice.SetStateAsync(src, sourceVf, S.PreCopy, cancellationToken).ConfigureAwait(false);
                var preCopyStart = time.GetTimestamp();
                for (var round = 1; ; round++)
                {
                    var roundStart = time.GetTimestamp();
                    var (bytes, _) = await PumpAsync(saving!, sink, buffer, cancellationToken).ConfigureAwait(false);
                    preCopyBytes += bytes;
                    var pre = saving!.GetPreCopyInfo();
                    var remaining = source.GetStopCopySize(sourceVf);
                    var elapsed = time.GetElapsedTime(preCopyStart);
                    var predicted = Predict(remaining, preCopyBytes, elapsed, source, target);
                    var r = new LocalMigrationRound(round, bytes, pre.InitialBytes, pre.DirtyBytes, remaining, time.GetElapsedTime(roundStart), predicted);
                    rounds.Add(r);
                    options.OnRound?.Invoke(r);
                    var converged = pre.InitialBytes == 0 && predicted <= options.DowntimeLimit;
                    if (round >= options.MaxPreCopyRounds || (round >= options.MinPreCopyRounds && converged))
                    {
                        Step(options, converged
                            ? $"pre-copy converged after {round} round(s): predicted downtime {predicted.TotalMilliseconds:0.#} ms"
                            : $"pre-copy stopped at the round limit ({round}); predicted downtime {predicted.TotalMilliseconds:0.#} ms");
                        break;
                    }

                    if (options.AfterRound is { } after)
                    {
                        await after(r, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            switchoverStarted = time.GetTimestamp();
            if (flags.HasFlag(MigrationFlags.P2P))
            {
                var quiesce = saving is not null ? S.PreCopyP2P : S.RunningP2P;
                Step(options, $"switchover: source -> {quiesce.Name()} (P2P quiesced first, as multi-VF workloads need)");
                await VfioDevice.SetStateAsync(src, sourceVf, quiesce, cancellationToken).ConfigureAwait(false);
            }

            Step(options, "source -> STOP_COPY, read to end of stream");
            var opened = await VfioDevice.SetStateAsync(src, sourceVf, S.StopCopy, cancellationToken).ConfigureAwait(false);
            saving ??= opened ?? throw new VfioException(VfioErrno.EIO, "STOP_COPY opened no data stream");
            var (finalBytes, last) = await PumpAsync(saving, sink, buffer, cancellationToken).ConfigureAwait(false);
            stopCopyBytes = finalBytes;
            if (last != VfioReadStatus.EndOfStream)
            {
                throw new VfioException(VfioErrno.EIO, $"STOP_COPY read ended with {last}");
            }

            Step(options, "target RESUMING -> STOP: validate and load");
            await VfioDevice.SetStateAsync(dst, targetVf, S.Stop, cancellationToken).ConfigureAwait(false);
            var loadedInfo = target.GetVfInfo(targetVf);
            committed = true; // point of no return: from here the source never runs again
            Step(options, "committed; target -> RUNNING");
            await VfioDevice.SetStateAsync(dst, targetVf, S.Running, cancellationToken).ConfigureAwait(false);
            var downtime = time.GetElapsedTime(switchoverStarted);
            var saved = source.GetVfInfo(sourceVf).LastSaved;

            Step(options, "source -> STOP, reset, destroy");
            await VfioDevice.SetStateAsync(src, sourceVf, S.Stop, cancellationToken).ConfigureAwait(false);
            await source.ResetAsync(sourceVf, cancellationToken).ConfigureAwait(false);
            src.Path.Add(S.Running);
            await source.DestroyVfAsync(sourceVf, cancellationToken).ConfigureAwait(false);
            return new LocalMigrationResult(true, null, targetVf, src.Path, dst.Path, rounds, preCopyBytes, stopCopyBytes,
                downtime, time.GetElapsedTime(started), saved, loadedInfo.LastLoaded, loadedInfo.StateDigest);
        }
        catch (VfioException e) when (!committed)
        {
            Step(options, $"failed before commit, rolling back: {e.Message}");
            await RollBackAsync(src, sourceVf, target, targetVf).ConfigureAwait(false);
            return new LocalMigrationResult(false, e.Message, targetVf, src.Path, dst.Path, rounds, preCopyBytes, stopCopyBytes,
                switchoverStarted == 0 ? TimeSpan.Zero : time.GetElapsedTime(switchoverStarted), time.GetElapsedTime(started),
                null, null, null);
        }
    }

    private static async Task RollBackAsync(Recorder source, int sourceVf, SimulatedPfDriver target, int targetVf)
    {
        try
        {
            if (source.GetDeviceState(sourceVf) != S.Error)
            {
                await VfioDevice.SetStateAsync(source, sourceVf, S.Running).ConfigureAwait(false);
            }
        }
        catch (VfioException)
        {
            // Could not walk back; a reset is the kernel's way out of anything.
        }

        if (source.GetDeviceState(sourceVf) != S.Running)
        {
            await source.Inner.ResetAsync(sourceVf).ConfigureAwait(false);
            source.Path.Add(S.Running);
        }

        if (targetVf >= 0)
        {
            await target.DestroyVfAsync(targetVf).ConfigureAwait(false);
        }
    }

    private static TimeSpan Predict(long remaining, long movedBytes, TimeSpan elapsed, SimulatedPfDriver source, SimulatedPfDriver target)
    {
        // After a pre-copy round the target has loaded the first image: only the rest of LOAD is left for the window.
        var device = ((source.Model.Latencies.Suspend + source.Model.Latencies.Save) * source.Config.LatencyScale) +
                     ((target.Model.Latencies.LoadAfterInitialImage + target.Model.Latencies.Resume) * target.Config.LatencyScale);
        if (elapsed <= TimeSpan.Zero || movedBytes <= 0)
        {
            return device; // nothing measured yet (or a fake clock that did not move): bandwidth unknown, count latencies only
        }

        var bytesPerSecond = movedBytes / elapsed.TotalSeconds;
        return device + TimeSpan.FromSeconds(remaining / bytesPerSecond);
    }

    private static async Task<(long Bytes, VfioReadStatus Last)> PumpAsync(
        IVfioDataStream from, IVfioDataStream to, byte[] buffer, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var r = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (r.Status != VfioReadStatus.Data)
            {
                return (total, r.Status);
            }

            await to.WriteAsync(buffer.AsMemory(0, r.BytesRead), cancellationToken).ConfigureAwait(false);
            total += r.BytesRead;
        }
    }

    private static void Step(LocalMigrationOptions options, string line) => options.OnStep?.Invoke(line);

    /// <summary>Forwards to a driver and records every arc it takes, so the demo shows the path the kernel walked.</summary>
    private sealed class Recorder(IPfDriver inner) : IPfDriver
    {
        public IPfDriver Inner { get; } = inner;

        public List<S> Path { get; } = [];

        public PfDescriptor Descriptor => Inner.Descriptor;

        public IReadOnlyList<VfDescriptor> ListVfs() => Inner.ListVfs();

        public Task<VfDescriptor> CreateVfAsync(VfKind kind, ProfileId profile, int? index = null, CancellationToken cancellationToken = default) =>
            Inner.CreateVfAsync(kind, profile, index, cancellationToken);

        public Task DestroyVfAsync(int vfIndex, CancellationToken cancellationToken = default) => Inner.DestroyVfAsync(vfIndex, cancellationToken);

        public S GetDeviceState(int vfIndex) => Inner.GetDeviceState(vfIndex);

        public async Task<IVfioDataStream?> SetDeviceStateAsync(int vfIndex, S next, CancellationToken cancellationToken = default)
        {
            try
            {
                var stream = await Inner.SetDeviceStateAsync(vfIndex, next, cancellationToken).ConfigureAwait(false);
                Path.Add(next);
                return stream;
            }
            catch (VfioException)
            {
                if (Inner.GetDeviceState(vfIndex) == S.Error)
                {
                    Path.Add(S.Error);
                }

                throw;
            }
        }

        public long GetStopCopySize(int vfIndex) => Inner.GetStopCopySize(vfIndex);

        public CompatibilityData GetCompatibilityData(int vfIndex) => Inner.GetCompatibilityData(vfIndex);

        public Task ResetAsync(int vfIndex, CancellationToken cancellationToken = default) => Inner.ResetAsync(vfIndex, cancellationToken);
    }
}
