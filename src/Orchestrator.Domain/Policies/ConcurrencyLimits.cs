using System.Globalization;

namespace Orchestrator.Domain.Policies;

/// <summary>
/// How many migrations may run at once: per source host (outbound), per target host (inbound), per PF (either
/// end; the PF actor also enforces its driver's own limit) and in the whole cluster.
/// </summary>
/// <param name="PerHostOutbound">Migrations leaving one host.</param>
/// <param name="PerHostInbound">Migrations arriving at one host.</param>
/// <param name="PerPf">Migrations touching one PF (source or target).</param>
/// <param name="PerCluster">Migrations in the cluster.</param>
public sealed record ConcurrencyLimits(int PerHostOutbound = 2, int PerHostInbound = 2, int PerPf = 4, int PerCluster = 8)
{
    /// <summary>The defaults.</summary>
    public static ConcurrencyLimits Default { get; } = new();

    /// <summary>Every problem, each naming the key and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Check(errors, nameof(PerHostOutbound), PerHostOutbound);
        Check(errors, nameof(PerHostInbound), PerHostInbound);
        Check(errors, nameof(PerPf), PerPf);
        Check(errors, nameof(PerCluster), PerCluster);
        return errors;
    }

    private static void Check(List<string> errors, string key, int value)
    {
        if (value < 1)
        {
            errors.Add($"{key} = {value.ToString(CultureInfo.InvariantCulture)} is invalid: expected ≥ 1");
        }
    }
}
