using Orchestrator.Domain.Migrations;

namespace Orchestrator.Domain.Pfs;

/// <summary>
/// One step a PF runs for a migration: the <see cref="MigrationStep"/> and, for a pre-copy round, its number. A PF
/// answers a retry of the same step and epoch from the reply it cached, so two rounds must be two steps.
/// </summary>
/// <param name="Step">The migration step.</param>
/// <param name="Round">The pre-copy round (1, 2, …); 0 for every other step.</param>
public readonly record struct PfStep(MigrationStep Step, int Round = 0)
{
    /// <summary>The step's name in logs, spans and history lines: <c>prepare-target</c>, <c>pre-copy-3</c>, <c>stop-copy</c>.</summary>
    public override string ToString() => Step switch
    {
        MigrationStep.PrepareTarget => "prepare-target",
        MigrationStep.StartPreCopy => "start-pre-copy",
        MigrationStep.PreCopyRound => $"pre-copy-{Round}",
        MigrationStep.QuiesceSources => "quiesce",
        MigrationStep.StopAndCopy => "stop-copy",
        MigrationStep.LoadTarget => "load-target",
        MigrationStep.StartTarget => "start-target",
        MigrationStep.ReleaseSource => "release-source",
        MigrationStep.ResumeSource => "resume-source",
        MigrationStep.DestroyTarget => "destroy-target",
        _ => Step.ToString(),
    };
}
