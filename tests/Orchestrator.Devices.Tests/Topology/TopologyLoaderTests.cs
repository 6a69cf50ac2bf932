using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Devices.Topology;

namespace Orchestrator.Devices.Tests.Topology;

public sealed class TopologyLoaderTests : IDisposable
{
    private readonly List<string> _written = [];

    /// <summary>Deletes the topology files a test wrote.</summary>
    public void Dispose()
    {
        foreach (var path in _written)
        {
            File.Delete(path);
        }
    }

    // Line numbers below count from this template's first line (line 1 = "workloads:").
    private const string Template = """
        workloads:
          - id: vm-1
            dirtyRate: RATE
          - id: vm-2
        hosts:
          - id: host-a
            pfs:
              - address: "ADDRESS"
                driver: DRIVER
                deviceType: ConnectX-7
                firmware: "28.41.1000"
                maxVfs: MAXVFS
                FLAGS
                profiles: [PROFILES]
                vfs:
                  - { index: INDEX0, kind: KIND0, profile: PROFILE0, workload: vm-1 }
                  - { index: 1, kind: vfio, profile: eth-small, workload: WORKLOAD1 }
          - id: HOSTB
            pfs:
              - address: "0000:3b:00.0"
                driver: mlx5
                deviceType: ConnectX-7
                firmware: "28.41.1000"
                maxVfs: 4
                profiles: [eth-small]
                vfs:
                  - { index: 0, kind: vfio, profile: eth-small, workload: WORKLOADB }
        """;

    private static string Yaml(params (string Key, string Value)[] changes)
    {
        var defaults = new Dictionary<string, string>
        {
            ["RATE"] = "64MiB/s",
            ["ADDRESS"] = "0000:3b:00.0",
            ["DRIVER"] = "mlx5",
            ["MAXVFS"] = "4",
            ["FLAGS"] = "boardId: MT_1",
            ["PROFILES"] = "eth-small, eth-migratable",
            ["INDEX0"] = "0",
            ["KIND0"] = "vfio",
            ["PROFILE0"] = "eth-small",
            ["WORKLOAD1"] = "vm-1",
            ["HOSTB"] = "host-b",
            ["WORKLOADB"] = "vm-2",
        };
        foreach (var (k, v) in changes)
        {
            defaults[k] = v;
        }

        var text = Template;
        foreach (var (k, v) in defaults.OrderByDescending(p => p.Key.Length))
        {
            text = text.Replace(k, v, StringComparison.Ordinal);
        }

        return text;
    }

    public static TheoryData<string, string, int, string> BadValues() => new()
    {
        { "DRIVER", "mlx6", 9, "unknown driver 'mlx6'" },
        { "HOSTB", "host-a", 18, "duplicate host id 'host-a'" },
        { "ADDRESS", "0000:3b:00", 8, "bad PCI address '0000:3b:00'" },
        { "INDEX0", "4", 16, "index 4 is not below maxVfs 4" },
        { "INDEX0", "1", 17, "duplicate VF index 1" },
        { "PROFILE0", "eth-full", 16, "profile 'eth-full' is not offered by this PF" },
        { "PROFILES", "eth-small, eth-turbo", 14, "profile 'eth-turbo' is not known to driver mlx5" },
        { "PROFILE0", "eth/small", 16, "profile 'eth/small' is invalid" },
        { "PROFILES", "eth-small, '-x'", 14, "profile '-x' is invalid" },
        { "KIND0", "pci", 16, "bad kind 'pci'" },
        { "MAXVFS", "1", 16, "2 VFs listed but maxVfs is 1" },
        { "WORKLOADB", "vm-1", 27, "workload 'vm-1' has VFs on two hosts: 'host-a' and 'host-b'" },
        { "FLAGS", "flags: STOP_COPY|PRE_COPY", 16, "lacks P2P; multi-VF migration needs P2P" },
        { "FLAGS", "flags: STOP_COPY|WARP", 13, "bad flags 'STOP_COPY|WARP'" },
        { "RATE", "fast", 3, "bad dirtyRate 'fast'" },
        { "WORKLOAD1", "vm-9", 17, "unknown workload 'vm-9'" },
        { "KIND0", "kernel", 16, "a kernel-kind VF is bound on the host and cannot belong to workload 'vm-1'" },
        { "FLAGS", "maxConcurentMigrations: 2", 13, "unknown PF key 'maxConcurentMigrations'" },
        { "MAXVFS", "many", 12, "bad maxVfs 'many'" },
    };

    [Fact]
    public void The_template_itself_loads()
    {
        var result = TopologyLoader.Parse(Yaml(), "t.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var pf = result.Topology!.Hosts[0].Pfs[0];
        Assert.Equal(2, pf.Vfs.Count);
        Assert.Equal(64L * 1024 * 1024, result.Topology.FindWorkload("vm-1")!.DirtyBytesPerSecond);
        Assert.Equal(2, result.Topology.VfsOf("vm-1").Count);
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_reported_with_file_line_and_the_value(string key, string value, int line, string message)
    {
        var result = TopologyLoader.Parse(Yaml((key, value)), "bad.yaml");
        Assert.False(result.Succeeded);
        Assert.Null(result.Topology);
        var error = result.Errors.First(e => e.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal("bad.yaml", error.File);
        Assert.Equal(line, error.Line);
        Assert.True(error.Column >= 1);
        Assert.StartsWith($"bad.yaml:{line}:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_is_reported_not_only_the_first()
    {
        var result = TopologyLoader.Parse(Yaml(("DRIVER", "mlx6"), ("ADDRESS", "zz"), ("HOSTB", "host-a"), ("RATE", "-1")), "many.yaml");
        Assert.True(result.Errors.Count >= 4, string.Join("\n", result.Errors));
        var ex = Assert.Throws<TopologyException>(() => TopologyLoader.Load(WriteTemp(Yaml(("DRIVER", "mlx6")))));
        Assert.Contains("unknown driver 'mlx6'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_pf_address_on_one_host_and_duplicate_workload_id_are_reported()
    {
        const string yaml = """
            workloads:
              - id: vm-1
              - id: vm-1
            hosts:
              - id: h
                pfs:
                  - { address: "0000:3b:00.0", driver: pds, deviceType: D, firmware: "1", maxVfs: 2, profiles: [vf-default] }
                  - { address: "0000:3B:00.0", driver: pds, deviceType: D, firmware: "1", maxVfs: 2, profiles: [vf-default] }
            """;
        var result = TopologyLoader.Parse(yaml, "dup.yaml");
        Assert.Contains(result.Errors, e => e.Line == 3 && e.Message.Contains("duplicate workload id 'vm-1' (first at line 2)", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Line == 8 && e.Message.Contains("duplicate PF address '0000:3B:00.0' (first at line 7)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_pf_address_on_two_hosts_is_fine()
    {
        var result = TopologyLoader.Parse(Yaml(), "t.yaml");
        Assert.Equal(result.Topology!.Hosts[0].Pfs[0].Address, result.Topology.Hosts[1].Pfs[0].Address);
    }

    [Fact]
    public void A_yaml_syntax_error_names_its_position()
    {
        var result = TopologyLoader.Parse("hosts:\n  - id: [unclosed\n", "syntax.yaml");
        var error = Assert.Single(result.Errors);
        Assert.Contains("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= 2);
    }

    [Fact]
    public void Missing_hosts_is_an_error()
    {
        var result = TopologyLoader.Parse("workloads: []\n", "empty.yaml");
        Assert.Contains(result.Errors, e => e.Message.Contains("missing 'hosts'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("64MiB/s", 64L * 1024 * 1024)]
    [InlineData("1.5 GiB", 1536L * 1024 * 1024)]
    [InlineData("1000", 1000L)]
    [InlineData("2KB/s", 2000L)]
    [InlineData("12 parsecs", null)]
    public void Rates_parse_with_units(string text, long? expected) => Assert.Equal(expected, TopologyLoader.ParseRate(text));

    [Theory]
    [InlineData("demo-topology.yaml")]
    [InlineData("minimal-topology.yaml")]
    public void The_shipped_examples_load_and_build_drivers_for_every_host(string file)
    {
        var topology = TopologyLoader.Load(ClusterConfig(file));
        foreach (var host in topology.Hosts)
        {
            var drivers = TopologyDriverFactory.CreateHost(topology, host.Id, new TopologySimulationOptions { LatencyScale = 0 });
            Assert.Equal(host.Pfs.Count, drivers.Count);
            foreach (var (pf, driver) in host.Pfs.Zip(drivers))
            {
                Assert.Equal(pf.Address, driver.Descriptor.Address);
                Assert.Equal(pf.Vfs.Select(v => v.Index), driver.ListVfs().Select(v => v.Index));
            }
        }
    }

    [Fact]
    public void The_demo_topology_has_what_the_demo_needs()
    {
        var topology = TopologyLoader.Load(ClusterConfig("demo-topology.yaml"));
        Assert.True(topology.Hosts.Count >= 3);
        Assert.True(topology.Hosts.SelectMany(h => h.Pfs).Select(p => p.Driver).Distinct().Count() >= 3);
        Assert.Contains(topology.Workloads, w => topology.VfsOf(w.Id).Count == 1);
        Assert.Contains(topology.Workloads, w => topology.VfsOf(w.Id).Count > 1);
        var mlx5 = topology.Hosts.SelectMany(h => h.Pfs).Where(p => p.Driver == "mlx5").ToList();
        Assert.True(mlx5.Select(p => p.Firmware).Distinct().Count() > 1, "one mlx5 PF should have other firmware");
    }

    [Fact]
    public void Factory_applies_the_workload_rate_and_pf_overrides()
    {
        var topology = TopologyLoader.Parse(Yaml(("FLAGS", "flags: STOP_COPY|P2P")), "f.yaml").Topology!;
        var driver = TopologyDriverFactory.CreateHost(topology, "host-a", new TopologySimulationOptions { LatencyScale = 0 })[0];
        Assert.Equal(MigrationFlags.StopCopy | MigrationFlags.P2P, driver.Descriptor.MigrationFlags);
        Assert.Equal(64L * 1024 * 1024, driver.GetVfInfo(0).DirtyBytesPerSecond);
        Assert.Equal(DriverModels.Mlx5.DefaultMaxConcurrentMigrations, driver.Descriptor.MaxConcurrentMigrations);
        Assert.Throws<ArgumentException>(() => TopologyDriverFactory.CreateHost(topology, "host-z"));
    }

    internal static string ClusterConfig(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "cluster-config", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"cluster-config/{file} not found above {AppContext.BaseDirectory}");
    }

    private string WriteTemp(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"topology-{Guid.NewGuid():N}.yaml");
        _written.Add(path);
        File.WriteAllText(path, text);
        return path;
    }
}
