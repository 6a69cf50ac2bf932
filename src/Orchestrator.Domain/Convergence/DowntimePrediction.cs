namespace Orchestrator.Domain.Convergence;

/// <summary>A downtime prediction, as progress reports show it.</summary>
/// <param name="Downtime">remaining / bandwidth + stop latency + load latency; <see cref="TimeSpan.MaxValue"/> when bandwidth is 0.</param>
/// <param name="EffectiveBandwidthBytesPerSecond">The measured bandwidth, capped by the policy.</param>
/// <param name="Converging">Whether the dirty rate is below the bandwidth (so each round leaves less behind).</param>
public sealed record DowntimePrediction(TimeSpan Downtime, double EffectiveBandwidthBytesPerSecond, bool Converging);
