using BenchmarkDotNet.Attributes;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Benchmarks;

/// <summary>
/// One modelled device command's latency as the simulated PF waits it (issue 16): <c>Task.Delay</c> on
/// <see cref="TimeProvider.System"/>, whose timers count a 4 ms kernel tick on this machine, against
/// <see cref="HighResolutionTimeProvider"/>. The mean over the modelled latency is what every command in a downtime
/// window paid on top of the model.
/// </summary>
public class ModelledLatencyBenchmarks
{
    /// <summary>mlx5's modelled suspend / resume (3 ms), RESUMING→STOP after pre-copy (9 ms) and save (20 ms).</summary>
    [Params(3, 9, 20)]
    public int Milliseconds { get; set; }

    /// <summary>Whether the delay runs on the high-resolution clock or the system's.</summary>
    [Params(false, true)]
    public bool HighResolution { get; set; }

    [Benchmark]
    public Task Delay() =>
        Task.Delay(TimeSpan.FromMilliseconds(Milliseconds), HighResolution ? HighResolutionTimeProvider.Instance : TimeProvider.System);
}
