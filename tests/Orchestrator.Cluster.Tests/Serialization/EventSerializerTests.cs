using System.Text;
using Orchestrator.Cluster.Serialization;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Cluster.Tests.Serialization;

/// <summary>Round trips of events added or changed after the journal fixture was first written.</summary>
public class EventSerializerTests
{
    private static readonly MigrationId Id = MigrationId.Parse("m-serializer");
    private static readonly DateTimeOffset At = new(2026, 12, 2, 14, 0, 0, TimeSpan.Zero);
    private static readonly VfId Source = PfId.Parse("host-a/0000:3b:00.0").Vf(0);

    [Fact]
    public void MigrationFailed_round_trips_under_its_v1_manifest()
    {
        var failed = new E.MigrationFailed(Id, Epoch.Of(2), At, FailureCode.TargetStateLost, "target VF reset", MigrationStep.StartTarget,
            MigrationPhase.Committed, [new Reservation(Id, Source, ReservationRole.Source)]);
        var (manifest, payload) = EventSerializer.Encode(failed);
        Assert.Equal("MigrationFailed.v1", manifest);
        Assert.Contains("\"code\":\"TargetStateLost\"", Encoding.UTF8.GetString(payload), StringComparison.Ordinal);
        var back = Assert.IsType<E.MigrationFailed>(EventSerializer.Decode(manifest, payload));
        Assert.Equal(failed with { Reservations = back.Reservations }, back);
        Assert.Equal(failed.Reservations, back.Reservations);
    }

    [Fact]
    public void A_default_MaxRetries_is_not_written_so_MigrationRequested_keeps_its_v1_bytes()
    {
        var requested = new E.MigrationRequested(Id, Epoch.Zero, At, WorkloadId.Parse("vm-1"), [Source], null, MigrationPolicy.Default);
        var (manifest, payload) = EventSerializer.Encode(requested);
        Assert.Equal("MigrationRequested.v1", manifest);
        Assert.DoesNotContain("maxRetries", Encoding.UTF8.GetString(payload), StringComparison.Ordinal);
        Assert.Equal(MigrationPolicy.DefaultMaxRetries, ((E.MigrationRequested)EventSerializer.Decode(manifest, payload)).Policy.MaxRetries);
    }

    [Fact]
    public void A_chosen_MaxRetries_is_written_and_read_back()
    {
        var requested = new E.MigrationRequested(Id, Epoch.Zero, At, WorkloadId.Parse("vm-1"), [Source], null, MigrationPolicy.Default with { MaxRetries = 2 });
        var (manifest, payload) = EventSerializer.Encode(requested);
        Assert.Contains("\"maxRetries\":2", Encoding.UTF8.GetString(payload), StringComparison.Ordinal);
        Assert.Equal(2, ((E.MigrationRequested)EventSerializer.Decode(manifest, payload)).Policy.MaxRetries);
    }

    [Fact]
    public void MigrationRequested_stored_before_MaxRetries_existed_reads_the_default()
    {
        var stored = JournalFixture.ReadEvents(JournalFixture.SourcePath).First(e => e.Manifest == "MigrationRequested.v1");
        Assert.DoesNotContain("maxRetries", Encoding.UTF8.GetString(stored.Payload), StringComparison.Ordinal);
        var requested = Assert.IsType<E.MigrationRequested>(EventSerializer.Decode(stored.Manifest, stored.Payload));
        Assert.Equal(5, requested.Policy.MaxRetries);
    }
}
