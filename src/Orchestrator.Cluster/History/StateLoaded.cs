using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Cluster.History;

/// <summary><c>state-loaded</c>: the target device accepted a state stream (RESUMING → STOP succeeded).</summary>
public sealed record StateLoaded : StateStreamRecord
{
    /// <summary>An empty load, for the reader and for initializers.</summary>
    public StateLoaded()
    {
    }

    /// <summary>A load with every field of <paramref name="stream"/>.</summary>
    [SetsRequiredMembers]
    public StateLoaded(StateStreamRecord stream)
        : base(stream)
    {
    }
}
