namespace Orchestrator.Cluster.Hosting;

/// <summary>Where the journal lives.</summary>
public enum PersistenceProvider
{
    /// <summary>An SQLite file: the embedded default, one process or one host, zero set-up.</summary>
    Sqlite,

    /// <summary>PostgreSQL: when nodes run on several hosts.</summary>
    PostgreSql,

    /// <summary>In memory: tests only; a crash loses every migration.</summary>
    InMemory,
}
