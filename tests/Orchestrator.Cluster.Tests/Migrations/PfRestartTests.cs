using Akka.Actor;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>What a PF actor knows survives its supervisor restarting it in place (the PF ledger).</summary>
public class PfRestartTests
{
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_pf_actor_restarted_between_two_epochs_still_fences_the_older_one_and_runs_the_newer()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        // No reconciler run during the test: it would clean the quiesce of a migration no coordinator knows.
        var options = TestCluster.DefaultOptions with { ReconcileStartupDelay = TimeSpan.FromHours(1), ReconcileInterval = TimeSpan.FromHours(1) };
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], options);
        var hostA = HostId.Parse("host-a");
        var pfId = PfId.Of(hostA, "0000:3b:00.0");
        var driver = cluster.Driver("host-a", "0000:3b:00.0");
        var pf = await node.System.ActorSelection(node.Runtime.Hosts[hostA].Path / "pf-0000-3b-00.0").ResolveOne(Ask);
        var migration = MigrationId.Parse("m-pf-restart");
        var vf = pfId.Vf(0);

        // Epoch 1 quiesces vm-1's source VF, then epoch 2 (its coordinator recovered elsewhere) does: the PF saw epoch 2.
        Assert.IsType<QuiesceSourcesReply>(await pf.Ask<IPfStepReply>(new QuiesceSourcesCommand(new MigrationTicket(migration, Epoch.Of(1))), Ask));
        Assert.IsType<QuiesceSourcesReply>(await pf.Ask<IPfStepReply>(new QuiesceSourcesCommand(new MigrationTicket(migration, Epoch.Of(2))), Ask));

        // The PF actor restarts in place, as after an exception: a failing actor suspends itself, and its host's default
        // supervisor strategy restarts it (a Kill would stop it instead). The next message meets the new incarnation.
        var cell = (IInternalActorRef)pf;
        cell.Suspend();
        cell.Restart(new InvalidOperationException("injected: the PF actor failed"));
        await pf.Ask<PfReport>(GetPfStatus.Instance, Ask);
        Assert.Equal(2, cluster.ReadHistory().OfType<Orchestrator.Cluster.History.PfStarted>().Count(p => p.Pf == pfId.ToString()));

        // The old incarnation's release would destroy the VF: fenced, the device untouched.
        var before = driver.ListVfs().Select(v => (v.Index, v.State)).ToList();
        var stale = await pf.Ask<IPfStepReply>(new ReleaseSourceCommand(new MigrationTicket(migration, Epoch.Of(1)), [vf]), Ask);
        Assert.Equal(Epoch.Of(2), Assert.IsType<StepFencedReply>(stale).CurrentEpoch);
        Assert.Equal(before, driver.ListVfs().Select(v => (v.Index, v.State)).ToList());

        // Epoch 2 goes on after the restart (a retried or next step of it runs): it rolls back, vm-1 runs again.
        Assert.IsType<ResumeSourceReply>(await pf.Ask<IPfStepReply>(new ResumeSourceCommand(new MigrationTicket(migration, Epoch.Of(2)), [vf]), Ask));
        Assert.Equal(VfioDeviceState.Running, driver.GetDeviceState(0));
        Assert.Equal(3, driver.ListVfs().Count);
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }
}
