using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Domain.Reconciliation;

/// <summary>
/// What the host reconciler may clean: a pure comparison of what the devices show with what the migrations say.
/// Only what an ENDED migration (Completed, RolledBack or Failed) left, or a VF no migration claims that can run nothing,
/// is ever cleaned. Anything a live migration touches, anything claimed by a migration the index does not know,
/// and anything that might be a workload's only running copy is left alone, with the reason.
/// </summary>
/// <remarks>
/// <code>
///  VF ─ claimed by a live migration? ─────────────────────────────► leave ("still PreCopying")
///     ─ PF owner unknown to the index? ─────────────────────────────► leave (never guess; never start a coordinator)
///     ─ newest ended claim (same workload or none):
///          target of RolledBack, not running ───────────────────────► DestroyTarget
///          source of Completed, not running ────────────────────────► ReleaseSource
///          source of RolledBack, not RUNNING ───────────────────────► ResumeSource
///          any VF of Failed, not RUNNING ───────────────────────────────► leave (it may hold the only state)
///          running where it should not, or target not running ───────► leave (the workload's copy: an operator decides)
///     ─ no claim, RESUMING/STOP/ERROR, no workload ──────────────────► DestroyTarget
///  slot / queue entry / reservation of an ended migration ───────────► FreeSlot / ReleaseReservation
/// </code>
/// </remarks>
public static class LeftoverRules
{
    private static readonly HashSet<VfioDeviceState> Runs =
    [
        VfioDeviceState.Running, VfioDeviceState.RunningP2P, VfioDeviceState.PreCopy, VfioDeviceState.PreCopyP2P,
    ];

    private static readonly HashSet<VfioDeviceState> CannotRun =
    [
        VfioDeviceState.Resuming, VfioDeviceState.Stop, VfioDeviceState.Error,
    ];

    /// <summary>
    /// The verdicts for one host, VFs first (cleaning a VF may free its migration's slot), then slots, then
    /// reservations. A VF or hold that is simply in use produces no verdict.
    /// </summary>
    /// <param name="vfs">Every VF of the host's PFs, as the PFs show them now.</param>
    /// <param name="holds">Slots, slot-queue entries and placement reservations that name a migration.</param>
    /// <param name="migrations">What the migration index (or a coordinator, where the index was unclear) says.</param>
    public static IReadOnlyList<LeftoverDecision> Decide(
        IReadOnlyList<ObservedVf> vfs,
        IReadOnlyList<ObservedHold> holds,
        IReadOnlyDictionary<MigrationId, KnownMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(vfs);
        ArgumentNullException.ThrowIfNull(holds);
        ArgumentNullException.ThrowIfNull(migrations);
        var decisions = new List<LeftoverDecision>();
        foreach (var vf in vfs.OrderBy(v => v.Vf))
        {
            if (DecideVf(vf, migrations) is { } decision)
            {
                decisions.Add(decision);
            }
        }

        foreach (var hold in holds.OrderBy(h => h.Kind == LeftoverAction.ReleaseReservation).ThenBy(h => h.Pf?.ToString()).ThenBy(h => h.Migration))
        {
            if (DecideHold(hold, migrations) is { } decision)
            {
                decisions.Add(decision);
            }
        }

        return decisions;
    }

    private static LeftoverDecision? DecideVf(ObservedVf vf, IReadOnlyDictionary<MigrationId, KnownMigration> migrations)
    {
        var state = vf.State.Name();
        if (vf.Owner is { } owner && !migrations.ContainsKey(owner))
        {
            return Leave(vf, owner, $"the PF says migration {owner} uses it, but the migration index does not know {owner}");
        }

        var claims = migrations.Values.Where(m => Role(m, vf.Vf) is not null || m.Id == vf.Owner).ToList();
        if (claims.FirstOrDefault(m => !m.HasEnded) is { } live)
        {
            return Leave(vf, live.Id, $"migration {live.Id} is live ({live.Phase})");
        }

        // A VF index is reused: an ended migration's claim on it only counts when the VF serves the same workload (or
        // none). The newest ended claim is the one that describes the VF now.
        var ended = claims
            .Where(m => m.Id == vf.Owner || vf.Workload is null || vf.Workload == m.Workload)
            .OrderByDescending(m => m.UpdatedAt)
            .FirstOrDefault();
        if (ended is null)
        {
            if (vf.Workload is null && CannotRun.Contains(vf.State))
            {
                return Clean(LeftoverAction.DestroyTarget, vf, null, $"no migration claims it and it has no workload; in {state} it can run nothing");
            }

            return vf.State == VfioDeviceState.Running || (vf.Workload is null && Runs.Contains(vf.State))
                ? null
                : Leave(vf, null, $"in {state} for workload {vf.Workload?.ToString() ?? "(none)"} but no migration claims it; an operator decides");
        }

        var role = Role(ended, vf.Vf);
        var name = $"{ended.Phase} migration {ended.Id}";
        return (role, ended.Phase) switch
        {
            (null, _) => Leave(vf, ended.Id, $"the PF says {name} uses it, but that migration does not list it"),
            (VfRole.Target, MigrationPhase.RolledBack) when Runs.Contains(vf.State) =>
                Leave(vf, ended.Id, $"target VF of {name} is {state}: the workload may run here too; an operator decides"),
            (VfRole.Target, MigrationPhase.RolledBack) => Clean(LeftoverAction.DestroyTarget, vf, ended, $"target VF of {name} left in {state}"),
            (VfRole.Target, _) when vf.State == VfioDeviceState.Running => null,
            (VfRole.Target, _) => Leave(vf, ended.Id, $"target VF of {name} is {state}, not RUNNING: it may be the workload's only copy; an operator decides"),
            (VfRole.Source, MigrationPhase.Completed) when Runs.Contains(vf.State) =>
                Leave(vf, ended.Id, $"source VF of {name} is still {state}: the workload may run here and on the target; an operator decides"),
            (VfRole.Source, MigrationPhase.Completed) => Clean(LeftoverAction.ReleaseSource, vf, ended, $"source VF of {name} still present in {state}"),
            (VfRole.Source, _) when vf.State == VfioDeviceState.Running => null,
            (VfRole.Source, MigrationPhase.Failed) =>
                Leave(vf, ended.Id, $"source VF of {name} is {state}: it may hold the workload's only device state; an operator decides"),
            _ => Clean(LeftoverAction.ResumeSource, vf, ended, $"source VF of {name} left in {state}; the workload runs on its source"),
        };
    }

    private static LeftoverDecision? DecideHold(ObservedHold hold, IReadOnlyDictionary<MigrationId, KnownMigration> migrations)
    {
        if (!migrations.TryGetValue(hold.Migration, out var migration))
        {
            return new LeftoverDecision(null, null, hold.Pf, hold.Migration, null, null, $"{hold.Detail} by migration {hold.Migration}, which the migration index does not know");
        }

        return migration.HasEnded
            ? new LeftoverDecision(hold.Kind, null, hold.Pf, hold.Migration, migration.Epoch, null, $"{hold.Detail} by {migration.Phase} migration {migration.Id}")
            : null;
    }

    private static VfRole? Role(KnownMigration migration, VfId vf) =>
        migration.Vfs.Any(p => p.Target == vf) ? VfRole.Target
        : migration.Vfs.Any(p => p.Source == vf) ? VfRole.Source
        : null;

    private static LeftoverDecision Clean(LeftoverAction action, ObservedVf vf, KnownMigration? migration, string reason) =>
        new(action, vf.Vf, vf.Vf.Pf, migration?.Id, migration?.Epoch, vf.State, reason);

    private static LeftoverDecision Leave(ObservedVf vf, MigrationId? migration, string reason) =>
        new(null, vf.Vf, vf.Vf.Pf, migration, null, vf.State, reason);

    private enum VfRole
    {
        Source,
        Target,
    }
}
