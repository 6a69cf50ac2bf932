namespace Orchestrator.Chaos.Processes;

/// <summary>
/// Runs a clean-up (stop the node processes, remove partition rules) if this process exits some other way than
/// through the caller's <c>finally</c>: SIGTERM, an unhandled exception. Disposing it unregisters the clean-up.
/// </summary>
public sealed class ProcessExitGuard : IDisposable
{
    private readonly Action _cleanUp;

    public ProcessExitGuard(Action cleanUp)
    {
        _cleanUp = cleanUp;
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        AppDomain.CurrentDomain.UnhandledException += OnExit;
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        AppDomain.CurrentDomain.UnhandledException -= OnExit;
    }

    private void OnExit(object? sender, EventArgs e) => _cleanUp();
}
