namespace Orchestrator.Devices.Simulation;

/// <summary>What a driver model writes as its match block at the head of the state stream.</summary>
public enum MatchRule
{
    /// <summary>
    /// hisi_acc <c>QM_MATCH_SIZE</c> = 40 bytes: <c>acc_magic</c> (u64, 0xCDCDCDCDFEEDAACC), <c>qp_num</c>,
    /// <c>dev_id</c>, <c>que_iso_cfg</c>, <c>qp_base</c>, <c>vf_qm_state</c> (u32 each), reserved.
    /// </summary>
    HisiAccQm,

    /// <summary>Firmware version and board id (mlx5: same FW and same PSID on both hosts, RHEL/NVIDIA docs).</summary>
    FirmwareAndPsid,

    /// <summary>Firmware version only (pds, virtio, NVMe).</summary>
    FirmwareImage,
}
