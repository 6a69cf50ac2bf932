namespace Orchestrator.Chaos.Tests.Checker;

/// <summary>
/// A wall clock the test sets by hand, backwards too: the history writer must cope with a node's clock stepping back,
/// which the tests' fake clock (FakeTimeProvider, forward only) refuses to model.
/// </summary>
internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
