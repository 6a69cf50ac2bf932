using System.Text;

namespace Orchestrator.Testing;

/// <summary>
/// The topologies the cluster, API and chaos tests run on, built from one template: every host has one mlx5
/// ConnectX-7 PF with the <c>eth-small</c> profile, host-a runs the workloads, the other hosts are targets.
/// </summary>
public static class TestTopologies
{
    /// <summary>Firmware of every PF unless a host says otherwise.</summary>
    public const string Firmware = "28.41.1000";

    /// <summary>Firmware a PF with <see cref="Firmware"/> may not migrate to: mlx5 loads state only from identical firmware.</summary>
    public const string IncompatibleFirmware = "28.39.1002";

    /// <summary>host-a holds vm-1 (one VF) and vm-2 (two VFs); host-b is a compatible target; host-c has incompatible firmware.</summary>
    public static string ThreeHosts { get; } = Build(
        new("host-a", Slots: 4, Workloads: [new("vm-1"), new("vm-2", Vfs: 2)]),
        new("host-b", Slots: 4),
        new("host-c", Firmware: IncompatibleFirmware, Address: "0000:5e:00.0"));

    /// <summary>
    /// host-a holds <paramref name="workloads"/> one-VF workloads vm-1, vm-2, …; each of <paramref name="targets"/>
    /// (host-b, host-c, …) is a compatible target; every PF has <paramref name="slots"/> migration slots.
    /// </summary>
    public static string OneSource(int workloads, int targets, int slots, int maxVfs = 8) => Build(
        [
            new("host-a", slots, maxVfs, Workloads: [.. Enumerable.Range(1, workloads).Select(i => new TestWorkload($"vm-{i}"))]),
            .. Enumerable.Range(0, targets).Select(i => new TestHost($"host-{(char)('b' + i)}", slots, maxVfs)),
        ]);

    /// <summary>The YAML of <paramref name="hosts"/>; the workloads are those the hosts run, in order.</summary>
    public static string Build(params TestHost[] hosts)
    {
        var yaml = new StringBuilder("workloads:\n");
        foreach (var workload in hosts.SelectMany(h => h.Workloads ?? []))
        {
            yaml.Append($"  - id: {workload.Id}\n");
        }

        yaml.Append("hosts:\n");
        foreach (var host in hosts)
        {
            yaml.Append($"  - id: {host.Id}\n    pfs:\n");
            yaml.Append($"      - address: \"{host.Address}\"\n        driver: mlx5\n        deviceType: ConnectX-7\n");
            yaml.Append($"        firmware: \"{host.Firmware}\"\n        maxVfs: {host.MaxVfs}\n");
            if (host.Slots is { } slots)
            {
                yaml.Append($"        maxConcurrentMigrations: {slots}\n");
            }

            yaml.Append("        profiles: [eth-small]\n");
            var index = 0;
            if (host.Workloads is { Count: > 0 } workloads)
            {
                yaml.Append("        vfs:\n");
                foreach (var workload in workloads)
                {
                    for (var vf = 0; vf < workload.Vfs; vf++)
                    {
                        yaml.Append($"          - {{ index: {index++}, kind: vfio, profile: eth-small, workload: {workload.Id} }}\n");
                    }
                }
            }
        }

        return yaml.ToString();
    }
}

/// <summary>A host of a <see cref="TestTopologies"/> topology: one mlx5 PF.</summary>
/// <param name="Id">Host id.</param>
/// <param name="Slots">The PF's migration slots; null: the driver's default.</param>
/// <param name="MaxVfs">The PF's VF limit.</param>
/// <param name="Workloads">The workloads it runs, each on its own VFs from index 0 up.</param>
/// <param name="Firmware">The PF's firmware.</param>
/// <param name="Address">The PF's PCI address.</param>
public sealed record TestHost(
    string Id,
    int? Slots = null,
    int MaxVfs = 8,
    IReadOnlyList<TestWorkload>? Workloads = null,
    string Firmware = TestTopologies.Firmware,
    string Address = "0000:3b:00.0");

/// <summary>A workload of a <see cref="TestTopologies"/> topology.</summary>
/// <param name="Id">Workload id.</param>
/// <param name="Vfs">How many VFs it has.</param>
public sealed record TestWorkload(string Id, int Vfs = 1);
