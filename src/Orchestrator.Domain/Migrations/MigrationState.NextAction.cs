using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using A = Orchestrator.Domain.Migrations.MigrationActions;

namespace Orchestrator.Domain.Migrations;

/// <summary>NextAction: what the executor must do now, in every state, including right after a replay.</summary>
public sealed partial record MigrationState
{
    /// <summary>
    /// What the executor must do now. The coordinator loop: command → Decide → persist events → Apply → run this →
    /// the outcome comes back as the next command. Every action is safe to repeat (after a crash it is re-issued
    /// with the new epoch); retries carry <see cref="MigrationAction.Attempt"/> and a backoff in
    /// <see cref="MigrationAction.RetryAfter"/>.
    /// </summary>
    public MigrationAction NextAction()
    {
        MigrationAction action = Phase switch
        {
            MigrationPhase.New => new A.None(Id, Epoch, "no migration requested"),
            MigrationPhase.Requested => new A.Place(Id, Epoch, new PlacementRequest(Workload, SourceVfs, RequestedTarget)),
            MigrationPhase.Placed when !Admitted => AwaitAdmission(Placement!.AdmissionFor(Id)),
            MigrationPhase.Placed => new A.PrepareTarget(Id, Epoch, Vfs),
            MigrationPhase.TargetPrepared => new A.StartPreCopy(Id, Epoch, Vfs),
            MigrationPhase.PreCopying => new A.ContinuePreCopy(Id, Epoch, Vfs, Rounds.Count + 1),
            MigrationPhase.SwitchoverStarted when IsMultiVf && !SourcesQuiesced => new A.QuiesceSources(Id, Epoch, Vfs),
            MigrationPhase.SwitchoverStarted => new A.StopAndCopy(Id, Epoch, Vfs),
            MigrationPhase.StateTransferred => new A.LoadTarget(Id, Epoch, Vfs),
            MigrationPhase.TargetLoaded => new A.Commit(Id, Epoch),
            MigrationPhase.Committed => new A.StartTarget(Id, Epoch, Vfs, IsMultiVf),
            MigrationPhase.TargetRunning => new A.ReleaseSource(Id, Epoch, Vfs),
            MigrationPhase.SourceReleased => new A.ReleaseReservations(Id, Epoch, Reservations),
            MigrationPhase.RollingBack => PendingRollbackSteps.Count == 0
                ? new A.None(Id, Epoch, "rollback steps done")
                : PendingRollbackSteps[0] switch
                {
                    MigrationStep.ResumeSource => new A.ResumeSource(Id, Epoch, Vfs, IsMultiVf),
                    MigrationStep.DestroyTarget => new A.DestroyTarget(Id, Epoch, Vfs),
                    _ => new A.ReleaseReservations(Id, Epoch, Reservations),
                },
            MigrationPhase.Failed => new A.Done(Id, Epoch, Phase, $"{FailureCode}: {FailureReason}"),
            _ => new A.Done(Id, Epoch, Phase, RollbackReason),
        };
        return Attempt == 0 ? action : action with { Attempt = Attempt, RetryAfter = Policy.RetryDelay(Attempt) };
    }

    private A.AwaitAdmission AwaitAdmission(AdmissionRequest request) =>
        new(Id, Epoch, request.SourceHost, request.TargetHost, request.SourcePfs, request.TargetPfs);
}
