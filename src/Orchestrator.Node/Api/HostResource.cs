using System.Text.Json.Serialization;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Vfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;

namespace Orchestrator.Node.Api;

/// <summary>A host as the API shows it: <c>{id, node, cordoned, pfs}</c> plus its queue and when it was last seen.</summary>
public sealed record HostResource(string Id, string Node, bool Cordoned, int QueuedMigrations, DateTimeOffset UpdatedAt, IReadOnlyList<PfResource> Pfs)
{
    public static HostResource From(HostEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var inventory = entry.Inventory;
        return new HostResource(
            inventory.Id.Value,
            inventory.NodeName,
            inventory.Cordoned,
            entry.QueuedMigrations,
            entry.UpdatedAt,
            [.. inventory.Pfs.OrderBy(p => p.Id).Select(p => PfResource.From(p, entry))]);
    }
}

/// <summary>A PF: <c>{id, driver, deviceType, firmware, migrationFlags, maxVfs, freeVfSlots, freeMigrationSlots, vfs}</c> and more.</summary>
public sealed record PfResource(
    string Id,
    string Address,
    string Driver,
    string DeviceType,
    string Firmware,
    string MigrationFlags,
    int MaxVfs,
    int MaxConcurrentMigrations,
    int FreeVfSlots,
    int FreeMigrationSlots,
    int MigrationSlotsInUse,
    IReadOnlyList<string> Profiles,
    IReadOnlyList<VfResource> Vfs)
{
    public static PfResource From(PfInventory pf, HostEntry entry)
    {
        ArgumentNullException.ThrowIfNull(pf);
        ArgumentNullException.ThrowIfNull(entry);
        var d = pf.Descriptor;
        return new PfResource(
            pf.Id.ToString(),
            pf.Id.Address,
            d.Driver,
            d.DeviceType,
            d.Firmware,
            d.MigrationFlags.Name(),
            d.MaxVfs,
            d.MaxConcurrentMigrations,
            pf.FreeVfSlots,
            pf.FreeMigrationSlots,
            pf.MigrationSlotsInUse,
            [.. d.Profiles.Select(p => p.Value)],
            [.. pf.Vfs.OrderBy(v => v.Id).Select(v => VfResource.From(v, entry))]);
    }
}

/// <summary>A VF: <c>{id, kind, profile, workload, state}</c> (state is the VFIO state name) and the migration using it.</summary>
public sealed record VfResource(string Id, string Kind, string Profile, string? Workload, string State, string? Migration)
{
    /// <summary>The VF's last VFIO transitions, oldest first: only with <c>GET /vfs/{id}?history=true</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<VfTransitionResource>? History { get; init; }

    public static VfResource From(VfInventory vf, HostEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(vf);
        var migration = entry is not null && entry.VfMigrations.TryGetValue(vf.Id, out var m) ? m.Value : null;
        return new VfResource(vf.Id.ToString(), KindName(vf.Kind), vf.Profile.Value, vf.Workload?.Value, vf.State.Name(), migration);
    }

    public static string KindName(VfKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>One VFIO state change of a VF, and the migration and epoch whose command caused it (null: none, e.g. a reset).</summary>
public sealed record VfTransitionResource(string From, string To, string? Migration, long? Epoch, DateTimeOffset At)
{
    public static VfTransitionResource Of(VfProtocol.VfTransition transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return new(transition.From.Name(), transition.To.Name(), transition.Migration?.Value, transition.Epoch?.Value, transition.At);
    }
}
