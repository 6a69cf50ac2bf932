using Microsoft.Data.Sqlite;

namespace Orchestrator.Cluster.Tests.Serialization;

/// <summary>
/// <c>Fixtures/journal-v1.db</c>: an SQLite journal written by the code as it stood when the actor cluster landed
/// (regenerate only deliberately, with ORCHESTRATOR_WRITE_FIXTURE=1; old journals must stay readable forever).
/// </summary>
internal static class JournalFixture
{
    public const string FileName = "journal-v1.db";

    public static string SourcePath => Path.Combine(SourceDirectory(), "Fixtures", FileName);

    public static bool Writing => Environment.GetEnvironmentVariable("ORCHESTRATOR_WRITE_FIXTURE") == "1";

    /// <summary>
    /// ORCHESTRATOR_APPEND_FIXTURE=1: run only the scenarios of events added since the fixture was written, on a copy of
    /// it, and keep the result only if every earlier row is byte-identical (the journal is append-only).
    /// </summary>
    public static bool Appending => Environment.GetEnvironmentVariable("ORCHESTRATOR_APPEND_FIXTURE") == "1";

    /// <summary>Every stored event: persistence id, sequence number, serializer id, manifest, payload.</summary>
    public static List<(string PersistenceId, long SequenceNr, int Serializer, string Manifest, byte[] Payload)> ReadEvents(string path)
    {
        var rows = new List<(string, long, int, string, byte[])>();
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, sequence_number, identifier, manifest, message FROM journal ORDER BY ordering";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), (byte[])reader[4]));
        }

        return rows;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
