namespace Orchestrator.Domain.Compatibility;

/// <summary>Why placement rejected a request, a host or a PF.</summary>
public enum PlacementRejectionReasonCode
{
    /// <summary>The request itself: no source VF given.</summary>
    NoSourceVfs,

    /// <summary>The request itself: a source VF is not in the inventory.</summary>
    SourceVfNotFound,

    /// <summary>The request itself: the source VFs are on several hosts.</summary>
    SourcesOnSeveralHosts,

    /// <summary>The request itself: a source VF is not of kind vfio (kernel VFs cannot live-migrate).</summary>
    KindNotMigratable,

    /// <summary>A source or target PF advertises no migration support.</summary>
    MigrationNotSupported,

    /// <summary>The request itself: a multi-VF workload has a source device without P2P (vfio-migration §1.10, §4.1 #17).</summary>
    SourceLacksP2P,

    /// <summary>The requested target host is not in the inventory.</summary>
    HostNotFound,

    /// <summary>The host is the source host.</summary>
    SameHostAsSource,

    /// <summary>The host is cordoned.</summary>
    HostCordoned,

    /// <summary>The PF's driver or device type differs from the source's.</summary>
    DeviceTypeDiffers,

    /// <summary>The PF's firmware is incompatible with the source's (both versions in the detail).</summary>
    FirmwareIncompatible,

    /// <summary>The PF does not offer the source VF's profile.</summary>
    ProfileNotOffered,

    /// <summary>A multi-VF workload needs P2P on every target device too.</summary>
    TargetLacksP2P,

    /// <summary>The PF has no free VF slot (existing VFs plus reservations).</summary>
    NoFreeVfSlot,

    /// <summary>The PF has no free migration slot (in use or reserved).</summary>
    NoFreeMigrationSlot,

    /// <summary>The host has compatible PFs but not enough slots for all the workload's VFs at once.</summary>
    WorkloadDoesNotFit,
}
