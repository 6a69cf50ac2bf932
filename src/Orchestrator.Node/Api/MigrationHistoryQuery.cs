using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Node.Api;

/// <summary>
/// The query of <c>GET /migrations/history</c>: <c>workload</c>, <c>host</c> (source or target), and the paging of
/// <see cref="ApiPaging"/> with a <see cref="JournalCursor"/>. Every bad or unknown parameter is a 400 naming it and its
/// value.
/// </summary>
public sealed record MigrationHistoryQuery(WorkloadId? Workload, HostId? Host, int Limit, JournalCursor? After)
{
    /// <summary>The endpoint, as problems name it.</summary>
    public const string Endpoint = "GET /migrations/history";

    private static readonly string[] Filters = ["workload", "host"];

    /// <summary>Reads the query string; on a bad value, <paramref name="problem"/> is the 400 to answer.</summary>
    public static bool TryParse(IQueryCollection query, out MigrationHistoryQuery parsed, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        parsed = new MigrationHistoryQuery(null, null, ApiPaging.DefaultLimit, null);
        if (!ApiPaging.TryReadLimit(query, Endpoint, Filters, out var limit, out var cursorText, out problem))
        {
            return false;
        }

        JournalCursor? after = null;
        if (cursorText is not null)
        {
            if (!JournalCursor.TryParse(cursorText, out var cursor))
            {
                problem = ApiPaging.BadCursor(cursorText);
                return false;
            }

            after = cursor;
        }

        if (!MigrationListQuery.TryReadWorkloadAndHost(query, out var workload, out var host, out problem))
        {
            return false;
        }

        parsed = new MigrationHistoryQuery(workload, host, limit, after);
        return true;
    }

    /// <summary>The filter to read the journal with, or null when the query has none.</summary>
    public Func<MigrationView, bool>? Filter => Workload is null && Host is null ? null : Matches;

    /// <summary>Whether <paramref name="m"/> passes every filter given.</summary>
    public bool Matches(MigrationView m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return (Workload is not { } workload || m.Workload == workload)
            && (Host is not { } host || m.Source == host || m.Target == host);
    }
}
