namespace Orchestrator.Devices.Contract;

/// <summary>How a VF is bound when its PF creates it.</summary>
public enum VfKind
{
    /// <summary>Bound to vfio-pci (a variant driver) and handed to a VM; the only kind that can live-migrate.</summary>
    Vfio,

    /// <summary>Bound to the vendor's own kernel driver on the host.</summary>
    Kernel,
}
