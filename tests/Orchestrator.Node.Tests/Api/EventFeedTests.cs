using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

/// <summary>The event feed tells a slow subscriber what it lost, and <c>GET /events</c> filters.</summary>
[Collection(ApiNodeCollection.Name)]
public class EventFeedTests(ApiNode node)
{
    [Fact]
    public void A_subscriber_that_falls_behind_is_told_how_many_changes_it_lost_once()
    {
        var feed = new ClusterFeed(new ApiMetrics(), NullLogger<ClusterFeed>.Instance);
        var slow = feed.Subscribe();
        var at = new DateTimeOffset(2026, 12, 3, 7, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < ClusterFeed.Capacity + 76; i++)
        {
            feed.OnLeftoverCleaned(new ReconcilerProtocol.CleanedLeftover(HostId.Parse("host-a"), default, null, null, null, $"leftover {i}", at));
        }

        Assert.Equal(ClusterFeed.Capacity, slow.Reader.Count);
        Assert.Equal(76, feed.TakeDropped(slow));
        Assert.Equal(0, feed.TakeDropped(slow));
        feed.Unsubscribe(slow);
    }

    [Fact]
    public void An_ended_migration_the_index_does_not_list_leaves_the_current_state_a_minute_after_it_ended()
    {
        var feed = new ClusterFeed(new ApiMetrics(), NullLogger<ClusterFeed>.Instance);
        var now = DateTimeOffset.UtcNow;
        var longAgo = now - ClusterFeed.UnlistedGrace - TimeSpan.FromSeconds(30);
        static Cluster.Migrations.MigrationView View(string id, MigrationPhase state, DateTimeOffset at) => new(
            MigrationId.Parse(id), WorkloadId.Parse("vm-" + id), HostId.Parse("host-a"), HostId.Parse("host-b"), state, 0, at, at,
            new Cluster.Migrations.MigrationProgress(0, 0, 0, 0, null), null, null, [], [], [], MigrationStep.PreCopyRound, null, null, null);

        // The journal brings four; the index of this node lists one of them.
        feed.OnJournaled(new Cluster.Migrations.JournaledView(1, 9, View("m-unlisted", MigrationPhase.Completed, longAgo)));
        feed.OnJournaled(new Cluster.Migrations.JournaledView(2, 9, View("m-just-ended", MigrationPhase.Completed, now)));
        feed.OnJournaled(new Cluster.Migrations.JournaledView(3, 4, View("m-in-flight", MigrationPhase.PreCopying, longAgo)));
        var listed = View("m-listed", MigrationPhase.RolledBack, longAgo);
        feed.OnJournaled(new Cluster.Migrations.JournaledView(4, 9, listed));
        var node = new Akka.Cluster.UniqueAddress(new Akka.Actor.Address("akka.tcp", "orchestrator", "127.0.0.1", 4053), 1);
        feed.OnMigrations(Cluster.Migrations.MigrationIndex.ShardOf("m-listed"), Akka.DistributedData.LWWDictionary<string, Cluster.Migrations.MigrationView>.Empty.SetItem(node, "m-listed", listed));

        // Ended a minute ago and not listed: gone (kept for good before). Just ended: the index may list it yet.
        Assert.Equal(
            ["m-in-flight", "m-just-ended", "m-listed"],
            feed.Current().Events.Where(e => e.Kind == "migration").Select(e => e.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Filters_keep_what_they_name()
    {
        var migration = new FeedEvent("migration", "m-1", MigrationResource.From(new Cluster.Migrations.MigrationView(
            MigrationId.Parse("m-1"), WorkloadId.Parse("vm-1"), HostId.Parse("host-a"), HostId.Parse("host-b"), MigrationPhase.PreCopying, 0,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, new Cluster.Migrations.MigrationProgress(0, 0, 0, 0, null), null, null, [], [], [], MigrationStep.PreCopyRound, null, null, null)));
        var leftover = new FeedEvent("leftover", "host-c/0000:5e:00.0/vf1", new CleanedLeftoverResource("host-c", "host-c/0000:5e:00.0/vf1", null, "m-2", "Destroyed", "leftover", DateTimeOffset.UnixEpoch));
        Assert.True(new EventFilter("m-1", null, null).Matches(migration));
        Assert.False(new EventFilter("m-1", null, null).Matches(leftover));
        Assert.True(new EventFilter(null, "host-b", null).Matches(migration));
        Assert.True(new EventFilter(null, "host-c", null).Matches(leftover));
        Assert.False(new EventFilter(null, "host-c", new HashSet<string> { "migration" }).Matches(leftover));
        Assert.True(new EventFilter("m-2", "host-c", new HashSet<string> { "leftover" }).Matches(leftover));
    }

    [Fact]
    public async Task A_stream_of_one_kind_carries_only_that_kind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await node.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/events?types=host&host=host-b"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<string>();
        // Until a heartbeat after the first data (the stream opens with one).
        while (await reader.ReadLineAsync(cts.Token) is { } line && !(events.Count > 0 && line == "event: heartbeat"))
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && line != "data: ") // a heartbeat's data is empty
            {
                events.Add(line);
            }
        }

        // The current state of host-b (and any change of it since), nothing of host-a, host-c or any migration.
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.StartsWith("data: {\"id\":\"host-b\"", e, StringComparison.Ordinal));
    }
}
