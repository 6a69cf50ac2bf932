namespace Orchestrator.Devices.Simulation;

/// <summary>How long each PF command takes on a driver model, before the latency scale is applied.</summary>
/// <param name="CreateVf">Creating a VF.</param>
/// <param name="DestroyVf">Destroying a VF.</param>
/// <param name="Reset">VFIO_DEVICE_RESET.</param>
/// <param name="Suspend">A quiesce command; for pds the whole SUSPEND_STATUS poll.</param>
/// <param name="Resume">An un-quiesce command.</param>
/// <param name="Save">Starting a save (first image) or the final save on entering STOP_COPY.</param>
/// <param name="EndSave">Ending a save session.</param>
/// <param name="PrepareLoad">STOP→RESUMING.</param>
/// <param name="Load">RESUMING→STOP: loading and validating the written state.</param>
/// <param name="SuspendPollInterval">
/// When set, a suspend completes only at a status poll: its latency is rounded up to whole intervals (pds polls
/// SUSPEND_STATUS every 1 ms).
/// </param>
/// <param name="SuspendTimeout">
/// When set, a suspend that would take longer fails with ETIMEDOUT after this long (pds: SUSPEND_STATUS polled every
/// 1 ms up to <c>SUSPEND_TIMEOUT_S</c> = 5 s). Never scaled: it is a bound in the driver code, not a device speed.
/// </param>
/// <param name="InitialLoad">
/// The part of <paramref name="Load"/> that a device with incremental pre-copy images does while RESUMING, when the
/// first whole image has been written (mlx5 loads each image in the <c>write()</c> that completes it; the target's
/// resource allocation dominates, which is what switchover-ack takes out of the downtime). The write that completes
/// the first image takes this long, and a later RESUMING→STOP takes <paramref name="Load"/> minus it. Zero: the whole
/// load happens at RESUMING→STOP.
/// </param>
public sealed record CommandLatencies(
    TimeSpan CreateVf,
    TimeSpan DestroyVf,
    TimeSpan Reset,
    TimeSpan Suspend,
    TimeSpan Resume,
    TimeSpan Save,
    TimeSpan EndSave,
    TimeSpan PrepareLoad,
    TimeSpan Load,
    TimeSpan? SuspendPollInterval = null,
    TimeSpan? SuspendTimeout = null,
    TimeSpan InitialLoad = default)
{
    /// <summary>RESUMING→STOP once the first image was loaded while RESUMING: <see cref="Load"/> less <see cref="InitialLoad"/>.</summary>
    public TimeSpan LoadAfterInitialImage => InitialLoad >= Load ? TimeSpan.Zero : Load - InitialLoad;

    /// <summary>The latency of one command.</summary>
    public TimeSpan Of(DeviceCommand command) => command switch
    {
        DeviceCommand.CreateVf => CreateVf,
        DeviceCommand.DestroyVf => DestroyVf,
        DeviceCommand.Reset => Reset,
        DeviceCommand.Suspend => Suspend,
        DeviceCommand.Resume => Resume,
        DeviceCommand.Save => Save,
        DeviceCommand.EndSave => EndSave,
        DeviceCommand.PrepareLoad => PrepareLoad,
        DeviceCommand.Load => Load,
        _ => TimeSpan.Zero,
    };
}
