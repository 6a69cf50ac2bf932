using Orchestrator.Chaos.Processes;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>The crash-recovery scenarios with the journal on PostgreSQL, as when nodes run on several hosts.</summary>
public class PostgresCrashRecoveryTests
{
    [PostgresTheory]
    [InlineData(CrashRecoveryTests.Stage.StopCopy, "RolledBack")]
    [InlineData(CrashRecoveryTests.Stage.AfterCommitted, "Completed")]
    public async Task Postgres(CrashRecoveryTests.Stage stage, string expected)
    {
        await using var database = await ScratchDatabase.CreateAsync("orch_test");
        await CrashRecoveryTests.RunAsync(PersistenceProvider.PostgreSql, database.ConnectionString, stage, expected);
    }
}
