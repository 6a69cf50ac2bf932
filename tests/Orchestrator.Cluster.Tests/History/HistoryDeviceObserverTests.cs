using System.Text.Json.Nodes;
using Orchestrator.Cluster.History;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Cluster.Tests.History;

/// <summary>
/// The lines the observer writes are what the chaos checker reads: every VF record names its VF, the workload and the
/// command that caused it; a load names the same stream as its save, located at the target, paired by the source VF.
/// </summary>
public sealed class HistoryDeviceObserverTests : IDisposable
{
    private static readonly VfId Source = PfId.Parse("host-a/0000:3b:00.0").Vf(2);
    private static readonly VfId Target = PfId.Parse("host-b/0000:3b:00.0").Vf(5);
    private static readonly WorkloadId Workload = WorkloadId.Parse("vm-web");
    private static readonly MigrationTicket Ticket = new(MigrationId.Parse("m-observer"), Epoch.Of(3));

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"observer-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Vf_records_carry_the_vf_its_workload_and_the_command_that_caused_them()
    {
        var lines = Write(o =>
        {
            o.VfCreated(Target, VfKind.Vfio, ProfileId.Parse(DriverModels.Mlx5.Profiles[0].Name), Workload, VfioDeviceState.Resuming, Ticket);
            o.VfStateChanged(Target, Workload, VfioDeviceState.Resuming, VfioDeviceState.Stop, Ticket);
            o.VfStateChanged(Source, null, null, VfioDeviceState.Running, null); // a first sighting: in vf-created, not here
            o.VfDestroyed(Source, Workload, Ticket);
            o.VfDestroyed(Source, null, null);
        });

        Assert.Equal(["vf-created", "vf-state", "vf-destroyed", "vf-destroyed"], lines.Select(l => (string?)l["type"]));
        foreach (var line in lines[..3])
        {
            Assert.Equal("vm-web", (string?)line["workload"]);
            Assert.Equal("m-observer", (string?)line["migration"]);
            Assert.Equal(3, (long?)line["epoch"]);
        }

        Assert.Equal([Target.ToString(), Target.ToString(), Source.ToString(), Source.ToString()], lines.Select(l => (string?)l["vf"]));
        Assert.Equal("host-b/0000:3b:00.0", (string?)lines[0]["pf"]);
        Assert.Equal("host-b", (string?)lines[0]["host"]);
        Assert.Equal(("vfio", "RESUMING"), ((string?)lines[0]["kind"], (string?)lines[0]["state"]));
        Assert.Equal(("RESUMING", "STOP"), ((string?)lines[1]["from"], (string?)lines[1]["to"]));
        Assert.Null(lines[3]["workload"]);
        Assert.Null(lines[3]["migration"]);
        Assert.Null(lines[3]["epoch"]);
    }

    [Fact]
    public void A_load_names_the_stream_its_save_named_located_at_the_target_and_paired_by_the_source()
    {
        var lines = Write(o =>
        {
            o.StateSaved(Ticket, new PfProtocol.VfChecksum(Source, 4096, "ab12"));
            o.StateLoaded(Ticket, new PfProtocol.VfChecksum(Target, 4096, "ab12", Source));
        });

        var (saved, loaded) = (lines[0], lines[1]);
        Assert.Equal(("state-saved", "state-loaded"), ((string?)saved["type"], (string?)loaded["type"]));
        Assert.Equal((Source.ToString(), Target.ToString()), ((string?)saved["vf"], (string?)loaded["vf"]));
        Assert.Equal(("host-a", "host-b"), ((string?)saved["host"], (string?)loaded["host"]));
        Assert.Equal(Source.ToString(), (string?)saved["pair"]);
        Assert.Equal(Source.ToString(), (string?)loaded["pair"]);
        foreach (var line in lines)
        {
            Assert.Equal(("m-observer", 3L, 4096L, "ab12"), ((string?)line["migration"], (long?)line["epoch"], (long?)line["bytes"], (string?)line["checksum"]));
        }
    }

    private List<JsonObject> Write(Action<HistoryDeviceObserver> report)
    {
        using (var writer = new HistoryWriter(_path, "node-1"))
        {
            report(new HistoryDeviceObserver(writer));
        }

        return [.. File.ReadLines(_path).Select(l => JsonNode.Parse(l)!.AsObject())];
    }
}
