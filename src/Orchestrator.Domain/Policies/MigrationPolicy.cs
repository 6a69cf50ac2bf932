using System.Globalization;

namespace Orchestrator.Domain.Policies;

/// <summary>
/// How one migration trades downtime against completion. Defaults: QEMU's 300 ms downtime limit, 30 pre-copy
/// rounds, 60 s per GiB of device state (at least 60 s) to reach commit, 30 s without progress, abort on
/// non-convergence (the downtime limit is a promise; choose <see cref="NonConvergenceAction.ForceSwitchover"/> to
/// trade it for completion), up to 1 s of switchover-ack wait, 5 retries of a step during rollback or after commit.
/// </summary>
public sealed record MigrationPolicy
{
    /// <summary>The defaults.</summary>
    public static MigrationPolicy Default { get; } = new();

    /// <summary>Switch over when the predicted downtime is at most this.</summary>
    public TimeSpan DowntimeLimit { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Bandwidth cap of the state streams in bytes per second (a PF's VFs of the workload together); null for none.</summary>
    public long? BandwidthCapBytesPerSecond { get; init; }

    /// <summary>Pre-copy rounds after which <see cref="NonConvergenceAction"/> applies.</summary>
    public int MaxPreCopyRounds { get; init; } = 30;

    /// <summary>Time allowed from the start of pre-copy (or switchover) to commit, per GiB of device state.</summary>
    public TimeSpan CompletionTimeoutPerGiB { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The least completion timeout, whatever the state size.</summary>
    public TimeSpan MinimumCompletionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest time without any step completing; before commit it rolls back, after commit the step is retried.</summary>
    public TimeSpan ProgressTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What to do after <see cref="MaxPreCopyRounds"/> without convergence.</summary>
    public NonConvergenceAction NonConvergenceAction { get; init; } = NonConvergenceAction.Abort;

    /// <summary>
    /// How long a converged pre-copy waits for the target's readiness (switchover-ack: initial bytes loaded) before
    /// switching over anyway; zero switches over without waiting. QEMU waits without a bound; a second is a few more
    /// rounds, enough for the initial bytes still unread to be streamed and loaded outside the downtime.
    /// </summary>
    public TimeSpan SwitchoverAckWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>First retry delay of a failed step after commit or during rollback; doubled per attempt.</summary>
    public TimeSpan RetryBackoffBase { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest retry delay.</summary>
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a failed or stalled step is retried during rollback or after commit before the migration ends
    /// Failed (RetriesExhausted). Journals written before it existed read as this default.
    /// </summary>
    public int MaxRetries { get; init; } = DefaultMaxRetries;

    /// <summary>The default of <see cref="MaxRetries"/>.</summary>
    public const int DefaultMaxRetries = 5;

    /// <summary>The completion timeout for <paramref name="stateBytes"/> of device state.</summary>
    public TimeSpan CompletionTimeoutFor(long stateBytes)
    {
        var gib = Math.Max(0, stateBytes) / (double)(1L << 30);
        var scaled = TimeSpan.FromTicks((long)Math.Min(long.MaxValue / 2, CompletionTimeoutPerGiB.Ticks * gib));
        return scaled > MinimumCompletionTimeout ? scaled : MinimumCompletionTimeout;
    }

    /// <summary>The delay before retry <paramref name="attempt"/> (1-based): base × 2^(attempt-1), capped.</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        if (attempt <= 0)
        {
            return TimeSpan.Zero;
        }

        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var ticks = Math.Min(RetryBackoffMax.Ticks, RetryBackoffBase.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Every problem, each naming the key and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DowntimeLimit <= TimeSpan.Zero || DowntimeLimit > TimeSpan.FromSeconds(2000))
        {
            errors.Add($"{nameof(DowntimeLimit)} = {Ms(DowntimeLimit)} is invalid: expected > 0 ms and ≤ 2000 s");
        }

        if (BandwidthCapBytesPerSecond is <= 0)
        {
            errors.Add($"{nameof(BandwidthCapBytesPerSecond)} = {BandwidthCapBytesPerSecond.Value.ToString(CultureInfo.InvariantCulture)} is invalid: expected > 0, or null for no cap");
        }

        if (MaxPreCopyRounds < 1)
        {
            errors.Add($"{nameof(MaxPreCopyRounds)} = {MaxPreCopyRounds.ToString(CultureInfo.InvariantCulture)} is invalid: expected ≥ 1");
        }

        if (MaxRetries is < 0 or > 1000)
        {
            errors.Add($"{nameof(MaxRetries)} = {MaxRetries.ToString(CultureInfo.InvariantCulture)} is invalid: expected 0 to 1000");
        }

        Positive(errors, nameof(CompletionTimeoutPerGiB), CompletionTimeoutPerGiB);
        Positive(errors, nameof(MinimumCompletionTimeout), MinimumCompletionTimeout);
        Positive(errors, nameof(ProgressTimeout), ProgressTimeout);
        Positive(errors, nameof(RetryBackoffBase), RetryBackoffBase);
        if (SwitchoverAckWait < TimeSpan.Zero)
        {
            errors.Add($"{nameof(SwitchoverAckWait)} = {Ms(SwitchoverAckWait)} is invalid: expected ≥ 0");
        }

        if (RetryBackoffMax < RetryBackoffBase)
        {
            errors.Add($"{nameof(RetryBackoffMax)} = {Ms(RetryBackoffMax)} is invalid: expected ≥ {nameof(RetryBackoffBase)} ({Ms(RetryBackoffBase)})");
        }

        if (!Enum.IsDefined(NonConvergenceAction))
        {
            errors.Add($"{nameof(NonConvergenceAction)} = {NonConvergenceAction} is invalid: expected ForceSwitchover, Abort or KeepWaiting");
        }

        return errors;
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} = {Ms(value)} is invalid: expected > 0");
        }
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";
}
