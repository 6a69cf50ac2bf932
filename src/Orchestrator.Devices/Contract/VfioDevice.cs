namespace Orchestrator.Devices.Contract;

/// <summary>
/// The VFIO core's side of a state request (<c>vfio_ioctl_device_feature_mig_device_state</c>): walk the kernel's
/// path one direct arc at a time through the driver. Only the last arc may open a data stream.
/// </summary>
public static class VfioDevice
{
    /// <summary>
    /// Moves a VF to <paramref name="target"/> along the kernel's path. Returns the stream the last arc opened, or
    /// null. On failure the VF is in the start state, an intermediate hop, or ERROR, as the driver left it.
    /// </summary>
    /// <exception cref="VfioException">EINVAL when the kernel refuses the request; the driver's errno on a failed arc.</exception>
    public static async Task<IVfioDataStream?> SetStateAsync(
        IPfDriver driver, int vfIndex, VfioDeviceState target, CancellationToken cancellationToken = default)
    {
        var flags = driver.Descriptor.MigrationFlags;
        var current = driver.GetDeviceState(vfIndex);
        IVfioDataStream? opened = null;
        while (current != target)
        {
            var step = VfioFsm.NextStep(flags, current, target);
            if (!step.IsAllowed)
            {
                throw new VfioException(
                    VfioErrno.EINVAL,
                    $"VF {vfIndex} on {driver.Descriptor.Address}: request {current.Name()}->{target.Name()} refused ({step.Refusal}) for flags {flags.Name()}");
            }

            var next = step.Next!.Value;
            var stream = await driver.SetDeviceStateAsync(vfIndex, next, cancellationToken).ConfigureAwait(false);
            if (stream is not null && next != target)
            {
                // mlx5: WARN_ON(res && new_state != mig_state) -> -EINVAL. A driver that opens a stream mid-path is broken.
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new VfioException(VfioErrno.EINVAL, $"VF {vfIndex}: driver opened a data stream on interior hop {next.Name()}");
            }

            opened = stream;
            current = next;
        }

        return opened;
    }
}
