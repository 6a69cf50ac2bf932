using Orchestrator.Devices.Contract;

namespace Orchestrator.Cluster.Pfs;

/// <summary>The PF's driver as the lane uses it: every direct state arc that succeeds is timed into <see cref="ArcTimes"/>.</summary>
internal sealed class ArcTimingDriver(IPfDriver inner, ArcTimes times, TimeProvider clock) : IPfDriver
{
    public PfDescriptor Descriptor => inner.Descriptor;

    public IReadOnlyList<VfDescriptor> ListVfs() => inner.ListVfs();

    public Task<VfDescriptor> CreateVfAsync(VfKind kind, ProfileId profile, int? index = null, CancellationToken cancellationToken = default) =>
        inner.CreateVfAsync(kind, profile, index, cancellationToken);

    public Task DestroyVfAsync(int vfIndex, CancellationToken cancellationToken = default) => inner.DestroyVfAsync(vfIndex, cancellationToken);

    public VfioDeviceState GetDeviceState(int vfIndex) => inner.GetDeviceState(vfIndex);

    public async Task<IVfioDataStream?> SetDeviceStateAsync(int vfIndex, VfioDeviceState next, CancellationToken cancellationToken = default)
    {
        var from = inner.GetDeviceState(vfIndex);
        var started = clock.GetTimestamp();
        var stream = await inner.SetDeviceStateAsync(vfIndex, next, cancellationToken).ConfigureAwait(false);
        times.Record(from, next, clock.GetElapsedTime(started));
        return stream;
    }

    public long GetStopCopySize(int vfIndex) => inner.GetStopCopySize(vfIndex);

    public CompatibilityData GetCompatibilityData(int vfIndex) => inner.GetCompatibilityData(vfIndex);

    public Task ResetAsync(int vfIndex, CancellationToken cancellationToken = default) => inner.ResetAsync(vfIndex, cancellationToken);
}
