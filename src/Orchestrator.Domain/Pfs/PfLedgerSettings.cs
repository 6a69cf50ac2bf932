namespace Orchestrator.Domain.Pfs;

/// <summary>Bounds of a <see cref="PfLedger{TReply}"/>.</summary>
public sealed record PfLedgerSettings
{
    /// <summary>Defaults: tombstones live 10 minutes, at most 1024 of them.</summary>
    public static PfLedgerSettings Default { get; } = new();

    /// <summary>How long a migration with nothing live on the PF is still remembered (its epoch, replies, and whether it was cleaned).</summary>
    public TimeSpan TombstoneTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many tombstones; beyond it the oldest is forgotten first.</summary>
    public int MaxTombstones { get; init; } = 1024;

    /// <summary>Every problem, each naming the setting and its value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TombstoneTtl <= TimeSpan.Zero)
        {
            errors.Add($"TombstoneTtl = {TombstoneTtl} must be positive");
        }

        if (MaxTombstones < 1)
        {
            errors.Add($"MaxTombstones = {MaxTombstones} must be at least 1");
        }

        return errors;
    }
}
