namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>Small topologies the cluster tests run on.</summary>
internal static class Topologies
{
    /// <summary>host-a holds vm-1 (one mlx5 VF) and vm-2 (two mlx5 VFs); host-b and host-c are compatible targets.</summary>
    public const string ThreeHosts = """
        workloads:
          - id: vm-1
          - id: vm-2
        hosts:
          - id: host-a
            pfs:
              - address: "0000:3b:00.0"
                driver: mlx5
                deviceType: ConnectX-7
                firmware: "28.41.1000"
                maxVfs: 8
                maxConcurrentMigrations: 4
                profiles: [eth-small]
                vfs:
                  - { index: 0, kind: vfio, profile: eth-small, workload: vm-1 }
                  - { index: 1, kind: vfio, profile: eth-small, workload: vm-2 }
                  - { index: 2, kind: vfio, profile: eth-small, workload: vm-2 }
          - id: host-b
            pfs:
              - address: "0000:3b:00.0"
                driver: mlx5
                deviceType: ConnectX-7
                firmware: "28.41.1000"
                maxVfs: 8
                maxConcurrentMigrations: 4
                profiles: [eth-small]
          - id: host-c
            pfs:
              - address: "0000:5e:00.0"
                driver: mlx5
                deviceType: ConnectX-7
                firmware: "28.39.1002"
                maxVfs: 8
                profiles: [eth-small]
        """;
}
