using System.Globalization;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Node.Api;

/// <summary>
/// The query of <c>GET /migrations</c>: <c>workload</c>, <c>host</c> (source or target), <c>state</c> (comma-separated
/// states, or <c>active</c> / <c>ended</c> / <c>queued</c>), <c>since</c> (changed at or after, ISO 8601), and the paging of
/// <see cref="ApiPaging"/>. Every bad or unknown parameter is a 400 naming it and its value.
/// </summary>
public sealed record MigrationListQuery(WorkloadId? Workload, HostId? Host, IReadOnlySet<string>? States, DateTimeOffset? Since, int Limit, ListCursor? After)
{
    private static readonly string[] Filters = ["workload", "host", "state", "since"];

    /// <summary>
    /// The states a filter may name: every phase a migration can show, plus <c>active</c>, <c>ended</c> and
    /// <c>queued</c> (status Queued: waiting for admission or a migration slot).
    /// </summary>
    public static readonly IReadOnlyList<string> StateNames =
        [.. Enum.GetNames<MigrationPhase>().Where(n => n != nameof(MigrationPhase.New)), "active", "ended", "queued"];

    /// <summary>The optional <c>workload</c> and <c>host</c> filters (of this listing and of the history's); a bad one is a 400 naming it.</summary>
    internal static bool TryReadWorkloadAndHost(IQueryCollection query, out WorkloadId? workload, out HostId? host, out IResult? problem)
    {
        workload = null;
        host = null;
        problem = null;
        if (query.TryGetValue("workload", out var workloadText))
        {
            if (!ApiIds.TryWorkload("workload", workloadText.ToString(), out var w, out problem))
            {
                return false;
            }

            workload = w;
        }

        if (query.TryGetValue("host", out var hostText))
        {
            if (!ApiIds.TryHost("host", hostText.ToString(), out var h, out problem))
            {
                return false;
            }

            host = h;
        }

        return true;
    }

    /// <summary>Reads the query string; on a bad value, <paramref name="problem"/> is the 400 to answer.</summary>
    public static bool TryParse(IQueryCollection query, out MigrationListQuery parsed, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        parsed = new MigrationListQuery(null, null, null, null, ApiPaging.DefaultLimit, null);
        if (!ApiPaging.TryRead(query, "GET /migrations", Filters, out var limit, out var after, out problem)
            || !ApiPaging.TryReadStates(query, StateNames, out var states, out problem))
        {
            return false;
        }

        if (!MigrationListQuery.TryReadWorkloadAndHost(query, out var workload, out var host, out problem))
        {
            return false;
        }

        DateTimeOffset? since = null;
        if (query.TryGetValue("since", out var sinceText))
        {
            if (!DateTimeOffset.TryParse(sinceText.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                problem = ApiProblems.BadInput("since", sinceText.ToString(), $"since: '{sinceText}' is not an ISO 8601 time (for example 2026-12-03T05:00:00Z)");
                return false;
            }

            since = at;
        }

        parsed = new MigrationListQuery(workload, host, states, since, limit, after);
        return true;
    }

    /// <summary>One page of the <paramref name="migrations"/> that match, in creation order (then id), after the cursor.</summary>
    public ApiPage<MigrationView> Page(IEnumerable<MigrationView> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        return ApiPaging.Page(migrations.Where(Matches), m => m.CreatedAt, m => m.Id.Value, Limit, After);
    }

    private bool Matches(MigrationView m) =>
        (Workload is not { } workload || m.Workload == workload)
        && (Host is not { } host || m.Source == host || m.Target == host)
        && (States is not { } states || states.Contains(m.State.ToString()) || states.Contains(m.IsTerminal ? "ended" : "active")
            || (m.Status == MigrationView.Queued && states.Contains("queued")))
        && (Since is not { } since || m.UpdatedAt >= since);
}
