using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The built-in driver models. Flags, state sizes, match rules and timeouts come from
/// <c>shared/reference/vfio-migration.md</c> §2 (the kernel's <c>drivers/vfio/pci/*</c>) and
/// <c>downtime-numbers.md</c>; where no source gives a number (most command latencies) the value is a modelled
/// order of magnitude, said so below, and every one can be changed by building a model with <c>with</c>.
/// </summary>
public static class DriverModels
{
    private const long KiB = 1024;
    private const long MiB = 1024 * KiB;

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>
    /// mlx5 (ConnectX-7 VFs). Flags STOP_COPY|P2P|PRE_COPY (§2.1: PRE_COPY with FW ≥ 28.36.1010; the driver needs it
    /// since 2024). State "on the order of 100s of MB" (QEMU comment, §3.6), 256 MiB here, smaller profile for
    /// dense tests. 4 concurrent migrations per PF (RHEL 10 doc: max 4 VFs per CX-7 PF at once). Match: same FW and
    /// PSID (RHEL/NVIDIA docs), checked when the target FW loads the image, so at the header. Latencies are modelled
    /// FW command round trips (no published per-command figure); LOAD is the slow one (switchover-ack cover letter:
    /// destination resource allocation dominated a 1.9 s downtime), PrepareLoad carries part of that allocation.
    /// mlx5 loads each image in the <c>write()</c> that completes it, so the first image's load (31 of LOAD's 40 ms:
    /// the cover letter's 1480 of 1900 ms, 78 %, went to resource allocation) happens during pre-copy, and
    /// RESUMING→STOP after it loads only the last image (9 ms).
    /// </summary>
    public static DriverModel Mlx5 { get; } = new(
        "mlx5",
        MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy,
        [
            new("eth-migratable", true, 256 * MiB, 64 * MiB, 0, "Ethernet VF, migratable port function, RoCE off"),
            new("eth-small", true, 16 * MiB, 4 * MiB, 0, "Ethernet VF with few queues, migratable"),
            new("eth-full", false, 256 * MiB, 64 * MiB, 0, "Ethernet VF with RoCE/IPsec offloads; migratable attribute off"),
        ],
        new CommandLatencies(
            CreateVf: Ms(40), DestroyVf: Ms(20), Reset: Ms(30),
            Suspend: Ms(3), Resume: Ms(3), Save: Ms(20), EndSave: Ms(5), PrepareLoad: Ms(30), Load: Ms(40), InitialLoad: Ms(31)),
        DefaultMaxVfs: 16,
        DefaultMaxConcurrentMigrations: 4,
        PreCopyTracking.Incremental,
        FirmwareCheck.OnHeader,
        MatchRule.FirmwareAndPsid);

    /// <summary>
    /// hisi_acc (HiSilicon SEC/HPRE/ZIP VFs). Flags STOP_COPY|PRE_COPY, no P2P (§2.2). State: a fixed
    /// <c>acc_vf_data</c> of a few hundred bytes (&lt; 1 KiB) whose first 40 bytes are the match block; PRE_COPY ships
    /// it early, <c>dirty_bytes</c> is always 0. Mailbox polled every 10 µs, 1 ms timeout, so commands are sub-ms.
    /// No published concurrency limit: 8 is a modelled value. 63 VFs per QM PF.
    /// </summary>
    public static DriverModel HisiAcc { get; } = new(
        "hisi_acc",
        MigrationFlags.StopCopy | MigrationFlags.PreCopy,
        [
            new("qm-4qp", true, 512, 0, 4, "accelerator VF with 4 queue pairs"),
            new("qm-8qp", true, 512, 0, 8, "accelerator VF with 8 queue pairs"),
            new("qm-nomig", false, 512, 0, 4, "accelerator VF on a PF without migration support"),
        ],
        new CommandLatencies(
            CreateVf: Ms(5), DestroyVf: Ms(2), Reset: Ms(1),
            Suspend: Ms(0.1), Resume: Ms(0.1), Save: Ms(0.5), EndSave: Ms(0.1), PrepareLoad: Ms(0.1), Load: Ms(0.5)),
        DefaultMaxVfs: 63,
        DefaultMaxConcurrentMigrations: 8,
        PreCopyTracking.InitialOnly,
        FirmwareCheck.None,
        MatchRule.HisiAccQm);

    /// <summary>
    /// pds (AMD Pensando DSC VFs). Flags STOP_COPY|P2P (§2.3, no pre-copy). State fixed at
    /// <c>sizeof(union pds_lm_dev_state)</c> = 65536 B. SUSPEND is polled (SUSPEND_STATUS every 1 ms, here 3 polls)
    /// up to 5 s, then ETIMEDOUT. Compatibility is checked by device FW on RESTORE, i.e. at RESUMING→STOP.
    /// Concurrency limit and VF count are modelled values.
    /// </summary>
    public static DriverModel Pds { get; } = new(
        "pds",
        MigrationFlags.StopCopy | MigrationFlags.P2P,
        [
            new("vf-default", true, 64 * KiB, 256 * KiB, 0, "DSC VF, all features migratable"),
            new("vf-nomig", false, 64 * KiB, 256 * KiB, 0, "DSC VF without live-migration support"),
        ],
        new CommandLatencies(
            CreateVf: Ms(20), DestroyVf: Ms(10), Reset: Ms(10),
            Suspend: Ms(3), Resume: Ms(2), Save: Ms(3), EndSave: Ms(1), PrepareLoad: Ms(1), Load: Ms(3),
            SuspendPollInterval: Ms(1), SuspendTimeout: TimeSpan.FromSeconds(5)),
        DefaultMaxVfs: 16,
        DefaultMaxConcurrentMigrations: 4,
        PreCopyTracking.Incremental,
        FirmwareCheck.OnRestore,
        MatchRule.FirmwareImage);

    /// <summary>
    /// virtio-pci (virtio-net VFs via the PF admin virtqueue). Flags STOP_COPY|P2P|PRE_COPY (§2.4, PRE_COPY since the
    /// 2024-11 patch set). State is device-dependent (the target's initial buffer is 1 MiB); PRE_COPY rereads the whole
    /// device context (no incremental read). The device validates parts on DEV_PARTS_SET, modelled at RESUMING→STOP.
    /// Admin-queue command latencies are modelled (~1 ms).
    /// </summary>
    public static DriverModel Virtio { get; } = new(
        "virtio",
        MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy,
        [
            new("net-1q", true, 256 * KiB, 64 * KiB, 0, "virtio-net VF, one queue pair"),
            new("net-mq", true, 1 * MiB, 256 * KiB, 0, "virtio-net VF, multi-queue"),
        ],
        new CommandLatencies(
            CreateVf: Ms(10), DestroyVf: Ms(5), Reset: Ms(5),
            Suspend: Ms(1), Resume: Ms(1), Save: Ms(2), EndSave: Ms(1), PrepareLoad: Ms(1), Load: Ms(2)),
        DefaultMaxVfs: 32,
        DefaultMaxConcurrentMigrations: 4,
        PreCopyTracking.FullContext,
        FirmwareCheck.OnRestore,
        MatchRule.FirmwareImage);

    /// <summary>
    /// NVMe (TP4159 controller migration, §2.5: no in-tree VFIO variant driver; "vendor-specific, PF-mediated,
    /// STOP_COPY"). Flags STOP_COPY only. Controller state sized like Intel QAT's 4096-byte block (the small
    /// reference point in downtime-numbers.md) or 64 KiB with more queues. Latencies and limits are modelled.
    /// </summary>
    public static DriverModel Nvme { get; } = new(
        "nvme",
        MigrationFlags.StopCopy,
        [
            new("ctrl-4k", true, 4 * KiB, 4 * KiB, 0, "controller with admin + 1 I/O queue"),
            new("ctrl-64k", true, 64 * KiB, 16 * KiB, 0, "controller with 16 I/O queues"),
        ],
        new CommandLatencies(
            CreateVf: Ms(10), DestroyVf: Ms(5), Reset: Ms(5),
            Suspend: Ms(2), Resume: Ms(2), Save: Ms(3), EndSave: Ms(1), PrepareLoad: Ms(1), Load: Ms(3)),
        DefaultMaxVfs: 32,
        DefaultMaxConcurrentMigrations: 2,
        PreCopyTracking.Incremental,
        FirmwareCheck.OnHeader,
        MatchRule.FirmwareImage);

    /// <summary>All built-in models.</summary>
    public static IReadOnlyList<DriverModel> All { get; } = [Mlx5, HisiAcc, Pds, Virtio, Nvme];

    /// <summary>Finds a model by its name (case-sensitive, as in topology files).</summary>
    public static bool TryGet(string? name, out DriverModel model)
    {
        model = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))!;
        return model is not null;
    }
}
