namespace Orchestrator.Domain.Migrations;

/// <summary>What kind of failure the executor saw when a step failed (<see cref="MigrationCommands.ReportStepFailed"/>).</summary>
public enum StepFault
{
    /// <summary>Any other failure (an errno, a timeout, a lost answer); retrying may help.</summary>
    Other,

    /// <summary>The device says a VF of the step does not exist (ENOENT); retrying cannot bring it back.</summary>
    VfMissing,

    /// <summary>A VF of the step had to be reset to reach RUNNING: the device state it held is gone.</summary>
    DeviceStateLost,
}
