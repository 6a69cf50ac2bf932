using System.Globalization;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Convergence;

/// <summary>
/// Pre-copy convergence, as QEMU does it (threshold = bandwidth × downtime limit) with the device's stop and load
/// latency added, because for a VF those are not negligible (switchover-ack exists for this reason).
/// <code>
/// predicted downtime = remaining bytes / min(measured bandwidth, cap) + stop latency + load latency + switchover overhead
/// after round n:  predicted ≤ limit            → SwitchOver (or WaitForTarget within the ack wait)
///                 elapsed ≥ completion timeout → ForceSwitchover if the policy forces, else Abort
///                 n ≥ max rounds               → the policy's action (KeepWaiting → Continue)
///                 otherwise                    → Continue
/// </code>
/// </summary>
public static class ConvergenceModel
{
    /// <summary>Predicts the switchover downtime.</summary>
    public static DowntimePrediction Predict(
        long remainingBytes,
        double bandwidthBytesPerSecond,
        double dirtyRateBytesPerSecond,
        TimeSpan stopLatency,
        TimeSpan loadLatency,
        long? bandwidthCapBytesPerSecond = null,
        TimeSpan switchoverOverhead = default)
    {
        var bandwidth = Math.Max(0, bandwidthBytesPerSecond);
        if (bandwidthCapBytesPerSecond is { } cap)
        {
            bandwidth = Math.Min(bandwidth, cap);
        }

        var converging = dirtyRateBytesPerSecond < bandwidth;
        if (remainingBytes <= 0)
        {
            return new DowntimePrediction(stopLatency + loadLatency + switchoverOverhead, bandwidth, converging);
        }

        if (bandwidth <= 0)
        {
            return new DowntimePrediction(TimeSpan.MaxValue, bandwidth, false);
        }

        var seconds = remainingBytes / bandwidth;
        var transfer = seconds >= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.MaxValue / 2 : TimeSpan.FromSeconds(seconds);
        var total = transfer + stopLatency + loadLatency + switchoverOverhead;
        return new DowntimePrediction(total, bandwidth, converging);
    }

    /// <summary>Decides what to do after a round under <paramref name="policy"/>.</summary>
    public static ConvergenceDecision Decide(ConvergenceInput input, MigrationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(policy);
        var prediction = Predict(input.RemainingBytes, input.BandwidthBytesPerSecond, input.DirtyRateBytesPerSecond,
            input.StopLatency, input.LoadLatency, policy.BandwidthCapBytesPerSecond, input.SwitchoverOverhead);
        var predicted = Ms(prediction.Downtime) + Parts(input, prediction);
        var limit = Ms(policy.DowntimeLimit);

        if (prediction.Downtime <= policy.DowntimeLimit)
        {
            if (!input.TargetReady && policy.SwitchoverAckWait > TimeSpan.Zero
                && (input.ConvergedFor ?? TimeSpan.Zero) < policy.SwitchoverAckWait)
            {
                return new(ConvergenceVerdict.WaitForTarget, prediction,
                    $"predicted downtime {predicted} ≤ limit {limit}; waiting up to {Ms(policy.SwitchoverAckWait)} for the target's readiness");
            }

            return new(ConvergenceVerdict.SwitchOver, prediction, $"predicted downtime {predicted} ≤ limit {limit} after round {input.Round}");
        }

        if (input.Elapsed >= input.CompletionTimeout)
        {
            return policy.NonConvergenceAction == NonConvergenceAction.ForceSwitchover
                ? new(ConvergenceVerdict.ForceSwitchover, prediction, $"completion timeout {Ms(input.CompletionTimeout)} reached with predicted downtime {predicted} > limit {limit}; policy forces switchover")
                : new(ConvergenceVerdict.Abort, prediction, $"completion timeout {Ms(input.CompletionTimeout)} reached with predicted downtime {predicted} > limit {limit}");
        }

        if (input.Round >= policy.MaxPreCopyRounds)
        {
            var why = $"not converged after {input.Round} of {policy.MaxPreCopyRounds} rounds: predicted downtime {predicted} > limit {limit}";
            return policy.NonConvergenceAction switch
            {
                NonConvergenceAction.ForceSwitchover => new(ConvergenceVerdict.ForceSwitchover, prediction, why + "; policy forces switchover"),
                NonConvergenceAction.Abort => new(ConvergenceVerdict.Abort, prediction, why + "; policy aborts"),
                _ => new(ConvergenceVerdict.Continue, prediction, why + "; policy keeps waiting until the completion timeout"),
            };
        }

        return new(ConvergenceVerdict.Continue, prediction, $"predicted downtime {predicted} > limit {limit} after round {input.Round}");
    }

    // What the prediction is made of, so that a user can see which term keeps a migration from converging.
    private static string Parts(ConvergenceInput input, DowntimePrediction prediction)
    {
        if (prediction.Downtime == TimeSpan.MaxValue)
        {
            return string.Empty;
        }

        var device = input.StopLatency + input.LoadLatency;
        var transfer = prediction.Downtime - device - input.SwitchoverOverhead;
        return $" (state {Ms(transfer)} + device stop/load {Ms(device)} + control {Ms(input.SwitchoverOverhead)})";
    }

    internal static string Ms(TimeSpan value) =>
        value == TimeSpan.MaxValue ? "∞" : value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";
}
