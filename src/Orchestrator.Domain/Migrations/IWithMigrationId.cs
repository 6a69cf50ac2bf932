using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Migrations;

/// <summary>Anything addressed to one migration (commands and events); feeds the shard extractor.</summary>
public interface IWithMigrationId
{
    /// <summary>The migration.</summary>
    MigrationId MigrationId { get; }
}
