namespace Orchestrator.Domain.Convergence;

/// <summary>The verdict after a round, with the prediction it rests on and why.</summary>
/// <param name="Verdict">What to do.</param>
/// <param name="Prediction">The downtime prediction.</param>
/// <param name="Reason">Why, with the numbers.</param>
public sealed record ConvergenceDecision(ConvergenceVerdict Verdict, DowntimePrediction Prediction, string Reason);
