namespace Orchestrator.Cluster.History;

/// <summary>How a client operation ended: <c>ok</c>, <c>failed</c>, or <c>indeterminate</c> (no answer: timeout, connection lost).</summary>
public enum ClientOutcome
{
    /// <summary>The API accepted or completed the operation.</summary>
    Ok,

    /// <summary>The API refused it.</summary>
    Failed,

    /// <summary>The client does not know.</summary>
    Indeterminate,
}
