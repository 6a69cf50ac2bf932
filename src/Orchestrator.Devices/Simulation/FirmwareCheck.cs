namespace Orchestrator.Devices.Simulation;

/// <summary>When a target of a driver model compares firmware (and its match block) with the source's.</summary>
public enum FirmwareCheck
{
    /// <summary>Firmware is not compared; only the match block is (hisi_acc: magic, dev_id, qp_num, queue isolation).</summary>
    None,

    /// <summary>As soon as the stream header arrives: the write fails (mlx5 LOAD by target FW, NVMe).</summary>
    OnHeader,

    /// <summary>When the state is restored, RESUMING→STOP (pds FW RESTORE, virtio DEV_PARTS_SET).</summary>
    OnRestore,
}
