using System.Diagnostics;

namespace Orchestrator.Testing;

/// <summary>
/// Waits on a condition, never on a sleep: polls until it holds or the patience runs out, then fails naming what it
/// waited for (an assertion's own message when it is one).
/// </summary>
public static class Eventually
{
    /// <summary>How long a wait lasts unless the test says otherwise.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>Runs <paramref name="assertion"/> until it passes; past <paramref name="within"/> its failure is the test's.</summary>
    public static async Task AssertAsync(Func<Task> assertion, TimeSpan? within = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Exception) when (waited.Elapsed < (within ?? Patience))
            {
                await Task.Delay(Poll);
            }
        }
    }

    /// <summary>Runs <paramref name="assertion"/> until it passes; past <paramref name="within"/> its failure is the test's.</summary>
    public static Task AssertAsync(Action assertion, TimeSpan? within = null) =>
        AssertAsync(() =>
        {
            assertion();
            return Task.CompletedTask;
        }, within);

    /// <summary>Polls <paramref name="condition"/> every <paramref name="every"/> until it is true; fails naming <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null, TimeSpan? every = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < (within ?? Patience), $"timed out after {waited.Elapsed.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(every ?? Poll);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it is true; fails naming <paramref name="what"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null, TimeSpan? every = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, within, every);
}
