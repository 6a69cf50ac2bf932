namespace Orchestrator.Domain.Migrations;

/// <summary>
/// A checkpoint (DESIGN.md §4 <c>*</c>): must be persisted before the executor runs the next device step. The
/// coordinator may persist other events lazily; these it must persist first.
/// </summary>
public interface ICheckpointEvent : IMigrationEvent;
