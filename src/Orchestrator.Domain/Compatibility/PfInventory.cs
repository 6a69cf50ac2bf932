using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Compatibility;

/// <summary>A PF as the inventory last saw it: its facts, its VFs and the migration slots its PF actor reports in use.</summary>
/// <param name="Id">The PF (its address equals <see cref="PfDescriptor.Address"/>).</param>
/// <param name="Descriptor">What the PF is (device type, driver, firmware, flags, limits, profiles).</param>
/// <param name="Vfs">The VFs that exist on it now.</param>
/// <param name="MigrationSlotsInUse">Migrations its PF actor is running now.</param>
public sealed record PfInventory(PfId Id, PfDescriptor Descriptor, IReadOnlyList<VfInventory> Vfs, int MigrationSlotsInUse = 0)
{
    /// <summary>VF slots not taken by an existing VF (reservations not counted; see <see cref="Placement.ReservationLedger"/>).</summary>
    public int FreeVfSlots => Math.Max(0, Descriptor.MaxVfs - Vfs.Count);

    /// <summary>Migration slots not in use (reservations not counted).</summary>
    public int FreeMigrationSlots => Math.Max(0, Descriptor.MaxConcurrentMigrations - MigrationSlotsInUse);
}
