namespace Orchestrator.Devices.Simulation;

/// <summary>Policy of a <see cref="LocalMigration"/>: when pre-copy stops, how big the copy chunks are, what time it is.</summary>
public sealed record LocalMigrationOptions
{
    /// <summary>Pre-copy never runs more rounds than this; then switchover is forced.</summary>
    public int MaxPreCopyRounds { get; init; } = 8;

    /// <summary>Pre-copy runs at least this many rounds (so a demo shows the dirty rounds).</summary>
    public int MinPreCopyRounds { get; init; } = 1;

    /// <summary>Switch over once the predicted downtime is at most this (QEMU's default downtime-limit is 300 ms).</summary>
    public TimeSpan DowntimeLimit { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Bytes per read and write (QEMU's VFIO buffer is 1 MiB).</summary>
    public int ChunkBytes { get; init; } = 1 << 20;

    /// <summary>The clock that measures rounds, bandwidth and downtime.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Called after each pre-copy round; tests advance a fake clock here so the workload dirties state.</summary>
    public Func<LocalMigrationRound, CancellationToken, ValueTask>? AfterRound { get; init; }

    /// <summary>Called as each pre-copy round ends, the last one included (live progress).</summary>
    public Action<LocalMigrationRound>? OnRound { get; init; }

    /// <summary>Called at each protocol step with a short line for an operator.</summary>
    public Action<string>? OnStep { get; init; }
}
