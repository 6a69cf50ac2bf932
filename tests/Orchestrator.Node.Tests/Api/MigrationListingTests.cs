using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

/// <summary>Paging and filters of <c>GET /migrations</c> as pure functions, over many random lists and insertions.</summary>
public class MigrationListingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 5, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_migration_listed_when_paging_began_comes_back_once_in_order_whatever_is_added_between_pages()
    {
        var random = new Random(17);
        for (var trial = 0; trial < 300; trial++)
        {
            // Few distinct times, so that ties on CreatedAt (two coordinators in one tick) are common.
            var views = Enumerable.Range(0, random.Next(0, 40)).Select(_ => View(random, T0.AddSeconds(random.Next(0, 10)))).ToList();
            var atStart = views.OrderBy(v => v.CreatedAt).ThenBy(v => v.Id.Value, StringComparer.Ordinal).Select(v => v.Id).ToList();
            var limit = random.Next(1, 8);
            var seen = new List<MigrationId>();
            string? cursor = null;
            var pages = 0;
            do
            {
                var page = Query(limit, cursor).Page(views);
                Assert.True(page.Items.Count <= limit);
                Assert.True(page.NextCursor is null || page.Items.Count == limit);
                seen.AddRange(page.Items.Select(v => v.Id));
                cursor = page.NextCursor;

                // Between pages: new migrations, some (a lagging replica) created before the cursor.
                views.AddRange(Enumerable.Range(0, random.Next(0, 3)).Select(_ => View(random, T0.AddSeconds(random.Next(0, 12)))));
                Assert.True(++pages < 1000, "paging does not end");
            }
            while (cursor is not null);

            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.Equal(atStart, seen.Where(atStart.Contains).ToList());
        }
    }

    [Fact]
    public void A_cursor_reads_back_to_itself_and_anything_else_is_refused()
    {
        var cursor = new ListCursor(T0.UtcTicks, MigrationId.New(new Random(1)).Value);
        Assert.True(ListCursor.TryParse(cursor.ToString(), out var back));
        Assert.Equal(cursor, back);
        foreach (var bad in new[] { "", "x", "djF8MXw", "djJ8MXxt", cursor.ToString() + "A", new string('A', 600) })
        {
            Assert.False(ListCursor.TryParse(bad, out _), bad);
        }
    }

    [Fact]
    public void State_filters_take_phase_names_in_any_case_and_active_or_ended()
    {
        Assert.True(MigrationListQuery.TryParse(new QueryCollection(new Dictionary<string, StringValues> { ["state"] = new(["completed,ROLLEDBACK", "active"]) }), out var query, out _));
        Assert.Equal(["Completed", "RolledBack", "active"], query.States!.Order(StringComparer.Ordinal).ToArray());
        var random = new Random(2);
        var running = View(random, T0) with { State = MigrationPhase.PreCopying };
        var completed = View(random, T0) with { State = MigrationPhase.Completed };
        var failed = View(random, T0) with { State = MigrationPhase.Failed };
        Assert.Equal(new[] { running.Id, completed.Id }.Order(), query.Page([running, completed, failed]).Items.Select(v => v.Id).Order());
    }

    private static MigrationListQuery Query(int limit, string? cursor)
    {
        var values = new Dictionary<string, StringValues> { ["limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (cursor is not null)
        {
            values["cursor"] = cursor;
        }

        Assert.True(MigrationListQuery.TryParse(new QueryCollection(values), out var query, out var problem), problem?.ToString());
        return query;
    }

    private static MigrationView View(Random random, DateTimeOffset createdAt) => new(
        MigrationId.New(random),
        WorkloadId.Parse("vm-" + random.Next(0, 5)),
        HostId.Parse("host-a"),
        HostId.Parse("host-b"),
        MigrationPhase.Completed,
        0,
        createdAt,
        createdAt,
        new MigrationProgress(0, 0, 0, 0, null),
        null,
        null,
        [],
        [],
        [],
        MigrationStep.None,
        null,
        null,
        null);
}
