namespace Orchestrator.Domain.Migrations;

/// <summary>Marker of the commands in <see cref="MigrationCommands"/>.</summary>
public interface IMigrationCommand : IWithMigrationId;
