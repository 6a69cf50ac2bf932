namespace Orchestrator.Devices.Topology;

/// <summary>The demo's topology file, <c>cluster-config/demo-topology.yaml</c>, the default of every verb that runs one.</summary>
public static class DemoTopology
{
    /// <summary>The file's path relative to the repository root.</summary>
    public const string RelativePath = "cluster-config/demo-topology.yaml";

    /// <summary>The file found upwards from the working directory, then from the executable's; null when neither has it.</summary>
    public static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
