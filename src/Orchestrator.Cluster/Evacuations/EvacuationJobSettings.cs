using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Evacuations;

/// <summary>Timing of an evacuation job, with its defaults.</summary>
public sealed record EvacuationJobSettings
{
    /// <summary>The job's clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often the job reads the state of the migrations it started.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The least time between two starts of the same workload's migration (a lost start, a workload held by another).</summary>
    public TimeSpan RestartInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many times a job adds workloads that arrived on the host after its plan (migrations placed there before the
    /// cordon, VFs an operator created) before it ends with what is left listed: bounded, so that a workload that keeps
    /// coming back cannot keep the job running.
    /// </summary>
    public int MaxPlanExtensions { get; init; } = 3;

    /// <summary>Every problem, each naming the setting and its value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingChecks.Positive(errors, "EvacuationJobSettings.PollInterval", PollInterval);
        SettingChecks.NotNegative(errors, "EvacuationJobSettings.RestartInterval", RestartInterval);
        SettingChecks.AtLeast(errors, "EvacuationJobSettings.MaxPlanExtensions", MaxPlanExtensions, 0);
        return errors;
    }
}
