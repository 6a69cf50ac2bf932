namespace Orchestrator.Domain.Migrations;

/// <summary>Why Decide rejected a command (maps to HTTP 409/400/410).</summary>
public enum RejectionCode
{
    /// <summary>The command's epoch is older than the migration's: a stale incarnation.</summary>
    StaleEpoch,

    /// <summary>The command's epoch is newer than the migration's: not from this coordinator.</summary>
    FutureEpoch,

    /// <summary>The command does not fit the current phase.</summary>
    WrongPhase,

    /// <summary>Already done; repeating it changes nothing (idempotent).</summary>
    Duplicate,

    /// <summary>Abort after commit: the migration goes forward (abort-too-late-committed).</summary>
    TooLate,

    /// <summary>The migration has ended.</summary>
    Terminal,

    /// <summary>The command carries bad data.</summary>
    Invalid,

    /// <summary>The command is for another migration.</summary>
    WrongMigration,
}
