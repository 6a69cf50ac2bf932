using Akka.Actor;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// The node's cluster runtime once this member is Up. The HTTP API starts before that; until then it answers 503
/// (and <c>/readyz</c> says why).
/// </summary>
public sealed class NodeRuntime
{
    private readonly TaskCompletionSource<OrchestratorRuntime> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The ActorSystem, as soon as it exists.</summary>
    public ActorSystem? System { get; private set; }

    /// <summary>The runtime, or null before this member is Up.</summary>
    public OrchestratorRuntime? Runtime { get; private set; }

    /// <summary>Completes when the runtime has started.</summary>
    public Task<OrchestratorRuntime> Ready => _ready.Task;

    internal void SetSystem(ActorSystem system) => System = system;

    internal void SetRuntime(OrchestratorRuntime runtime)
    {
        Runtime = runtime;
        _ready.TrySetResult(runtime);
    }

    internal void Fail(Exception error) => _ready.TrySetException(error);
}
