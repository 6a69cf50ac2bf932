using Orchestrator.Chaos.Processes;

namespace Orchestrator.Testing;

/// <summary>A theory that needs PostgreSQL: skipped, saying why, when <c>ORCHESTRATOR_PG</c> is not set (CI sets it).</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (ScratchDatabase.AdminConnectionString is null)
        {
            Skip = $"{ScratchDatabase.Variable} is not set; .ci/run installs PostgreSQL and sets it";
        }
    }
}
