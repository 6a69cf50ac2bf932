namespace Orchestrator.Devices.Simulation;

/// <summary>
/// A command held by <see cref="SimulatedFaults.HangCommand"/>: it does not complete until <see cref="Release"/> or its
/// caller cancels (models an un-patched kernel holding the state mutex, or a firmware command that never answers).
/// </summary>
public sealed class HungCommand
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal HungCommand(DeviceCommand? command)
    {
        Command = command;
    }

    /// <summary>The command kind it waits for, or null for any.</summary>
    public DeviceCommand? Command { get; }

    /// <summary>Completes when a command is hanging here: a test waits on it instead of sleeping.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Lets the hanging command go on.</summary>
    public void Release() => _released.TrySetResult();

    internal async Task WaitAsync(CancellationToken cancellationToken)
    {
        _reached.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
