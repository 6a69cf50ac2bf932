using Orchestrator.Domain.Convergence;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Domain.Migrations;

/// <summary>Apply: event → state. Throws only on an impossible event (wrong migration, older epoch, arc not allowed).</summary>
public sealed partial record MigrationState
{
    /// <summary>The state after <paramref name="e"/>; recovery replays the journal through this same function.</summary>
    /// <exception cref="InvalidOperationException">The event cannot follow this state.</exception>
    public MigrationState Apply(IMigrationEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.MigrationId != Id)
        {
            throw Impossible(e, $"is for migration '{e.MigrationId}'");
        }

        if (e.Epoch < Epoch || (e.Epoch > Epoch && e is not (E.MigrationRecovered or E.MigrationRequested)))
        {
            throw Impossible(e, $"has epoch {e.Epoch}, state has {Epoch}");
        }

        var progressed = this with { LastProgressAt = e.At };
        return e switch
        {
            E.MigrationRequested r => Enter(MigrationPhase.Requested, e) with
            {
                Epoch = r.Epoch,
                Workload = r.Workload,
                SourceVfs = r.SourceVfs,
                RequestedTarget = r.RequestedTarget,
                Policy = r.Policy,
                RequestedAt = r.At,
            },
            E.MigrationPlaced p => Enter(MigrationPhase.Placed, e) with { Placement = p.Target, Reservations = p.Reservations },
            E.MigrationAdmitted when Phase == MigrationPhase.Placed && !Admitted => progressed with { Admitted = true },
            E.TargetPrepared => Enter(MigrationPhase.TargetPrepared, e),
            E.PreCopyStarted p => Enter(MigrationPhase.PreCopying, e) with { StateBytes = p.StateBytes, PreCopyStartedAt = p.At },
            E.PreCopyRoundRecorded r when Phase == MigrationPhase.PreCopying && r.Sample.Round == Rounds.Count + 1 => progressed with
            {
                Rounds = [.. Rounds, r.Sample],
                StateBytes = Rounds.Count == 0 && StateBytes == 0 ? r.Sample.BytesTransferred + r.Sample.BytesRemaining : StateBytes,
                ConvergedAt = r.Sample.Verdict == ConvergenceVerdict.WaitForTarget ? ConvergedAt ?? r.At : null,
            },
            E.SwitchoverStarted s => Enter(MigrationPhase.SwitchoverStarted, e) with { SwitchoverReason = s.Reason, SwitchoverStartedAt = s.At },
            E.SourcesQuiesced when Phase == MigrationPhase.SwitchoverStarted && !SourcesQuiesced => progressed with { SourcesQuiesced = true },
            E.StateTransferred t => Enter(MigrationPhase.StateTransferred, e) with { FinalState = (t.Bytes, t.Checksum) },
            E.TargetLoaded => Enter(MigrationPhase.TargetLoaded, e),
            E.MigrationCommitted c => Enter(MigrationPhase.Committed, e) with { CommittedAt = c.At },
            E.TargetStarted t => Enter(MigrationPhase.TargetRunning, e) with { MeasuredDowntime = t.Downtime },
            E.SourceReleased => Enter(MigrationPhase.SourceReleased, e),
            E.MigrationCompleted c => Enter(MigrationPhase.Completed, e) with { Reservations = [], EndedAt = c.At },
            E.RollbackStarted r => Enter(MigrationPhase.RollingBack, e) with
            {
                RollbackReason = r.Reason,
                RollbackCode = r.Code != Migrations.RollbackCode.Unspecified ? r.Code : RollbackCodes.FromStep(r.FailedStep),
                FailedStep = r.FailedStep,
                RollbackFrom = r.FromPhase,
                PendingRollbackSteps = r.Steps,
            },
            E.RollbackStepCompleted s when Phase == MigrationPhase.RollingBack && PendingRollbackSteps.Contains(s.Step) => progressed with
            {
                PendingRollbackSteps = [.. PendingRollbackSteps.Where(p => p != s.Step)],
                Attempt = 0,
                LastError = null,
            },
            E.MigrationRolledBack r => Enter(MigrationPhase.RolledBack, e) with { Reservations = [], EndedAt = r.At, PendingRollbackSteps = [] },
            E.MigrationWithdrawn w => Enter(MigrationPhase.RolledBack, e) with
            {
                Workload = w.Workload,
                Withdrawn = true,
                RequestedAt = w.At,
                EndedAt = w.At,
                RollbackReason = w.Reason,
                RollbackCode = Migrations.RollbackCode.Aborted,
            },
            E.MigrationFailed f => Enter(MigrationPhase.Failed, e) with
            {
                Reservations = [],
                EndedAt = f.At,
                PendingRollbackSteps = [],
                FailureCode = f.Code,
                FailureReason = f.Reason,
                FailedStep = f.Step,
            },
            // Retries count across coordinator incarnations, so MaxRetries bounds them however often the node dies.
            // Journals written before that (up to 2 December 2026) count again from 1 after a MigrationRecovered: such
            // a retry is the next one all the same.
            E.StepRetried r when !IsTerminal && r.Attempt >= 1 && r.Attempt <= Attempt + 1 => progressed with { Attempt = Attempt + 1, LastError = r.Reason },
            E.PolicyChanged p when !IsTerminal => this with { Policy = p.Policy },
            E.MigrationRecovered r when r.Epoch == Epoch.Next() && !IsTerminal && Phase != MigrationPhase.New =>
                progressed with { Epoch = r.Epoch },
            _ => throw Impossible(e, $"cannot follow phase {Phase}"),
        };
    }

    private MigrationState Enter(MigrationPhase to, IMigrationEvent e)
    {
        if (!MigrationProtocol.IsAllowed(Phase, to))
        {
            throw Impossible(e, $"would move {Phase} → {to}, which is not an arc of the protocol");
        }

        return this with
        {
            Phase = to,
            LastProgressAt = e.At,
            Attempt = 0,
            LastError = null,
            Timeline = [.. Timeline, (to, e.At)],
        };
    }

    private InvalidOperationException Impossible(IMigrationEvent e, string why) =>
        new($"impossible event {e.GetType().Name} for migration '{Id}' in {Phase} (epoch {Epoch}): it {why}");
}
