using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// The journal's database for <c>/readyz</c>, without flapping: the probe (<c>SELECT 1</c>) runs at most once per
/// <see cref="ProbeInterval"/> whoever asks (concurrent readiness calls share it), and an outage shorter than
/// <c>api.readiness-journal-grace</c> is Degraded (still ready: coordinators wait for the journal, and a load balancer
/// that drops every node for a database blip helps no one), Unhealthy only once it lasted longer.
/// </summary>
public sealed class JournalHealthCheck : IHealthCheck, IDisposable
{
    /// <summary>How old a probe's answer may be before the next check runs it again.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    private readonly Func<CancellationToken, Task<string?>> _probe;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _probedAt;
    private string? _problem;
    private DateTimeOffset? _failingSince;

    [ActivatorUtilitiesConstructor]
    public JournalHealthCheck(JournalProbe probe, TimeProvider time, IOptions<NodeOptions> options)
        : this(ct => ProbeAsync(probe, ct), time, options.Value.ReadinessJournalGrace)
    {
    }

    /// <summary>A check of <paramref name="probe"/> (null: the database answered, else why not).</summary>
    public JournalHealthCheck(Func<CancellationToken, Task<string?>> probe, TimeProvider time, TimeSpan grace)
    {
        _probe = probe;
        _time = time;
        _grace = grace;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_probedAt is not { } at || now - at >= ProbeInterval)
            {
                _problem = await _probe(cancellationToken).ConfigureAwait(false);
                _probedAt = now = _time.GetUtcNow();
                _failingSince = _problem is null ? null : _failingSince ?? now;
            }

            if (_problem is null)
            {
                return HealthCheckResult.Healthy("the journal answers");
            }

            var down = now - _failingSince!.Value;
            var text = $"{_problem} (for {down.TotalSeconds:0.#} s; grace {_grace.TotalSeconds:0.#} s)";
            return down < _grace ? HealthCheckResult.Degraded(text) : HealthCheckResult.Unhealthy(text);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private static async Task<string?> ProbeAsync(JournalProbe probe, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            return await probe.CheckAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "the journal database did not answer within 3 s";
        }
    }
}
