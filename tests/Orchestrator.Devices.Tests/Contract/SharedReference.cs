namespace Orchestrator.Devices.Tests.Contract;

/// <summary>Finds <c>../shared/reference</c> (beside the repository) from the test's output folder.</summary>
internal static class SharedReference
{
    public static string File(string name)
    {
        var env = Environment.GetEnvironmentVariable("ORCHESTRATOR_SHARED");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.Combine(env, "reference", name);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "reference", name);
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"shared/reference/{name} not found above {AppContext.BaseDirectory}; set ORCHESTRATOR_SHARED");
    }
}
