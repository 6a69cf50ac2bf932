using Orchestrator.Cluster.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>
/// The sharing of <see cref="CoalescedRead{T}"/>, with reads the test completes by hand: a burst costs two reads
/// whatever the timing, and nobody gets a read that began before it called.
/// </summary>
public class CoalescedReadTests
{
    private readonly List<TaskCompletionSource<int>> _reads = [];
    private readonly CoalescedRead<int> _shared;

    public CoalescedReadTests()
    {
        _shared = new CoalescedRead<int>(() =>
        {
            var read = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_reads)
            {
                _reads.Add(read);
            }

            return read.Task;
        });
    }

    private TaskCompletionSource<int> Read(int i)
    {
        lock (_reads)
        {
            return _reads[i];
        }
    }

    private int ReadCount
    {
        get
        {
            lock (_reads)
            {
                return _reads.Count;
            }
        }
    }

    [Fact]
    public async Task Callers_during_a_read_share_the_next_one_and_only_it()
    {
        var first = _shared.ReadAsync();
        await Eventually.AssertAsync(() => Assert.Equal(1, ReadCount));
        var burst = Enumerable.Range(0, 200).Select(_ => _shared.ReadAsync()).ToList();
        Assert.Equal(1, ReadCount); // the burst waits for the read under way to end, then shares one

        Read(0).SetResult(1);
        Assert.Equal(1, await first);
        await Eventually.AssertAsync(() => Assert.Equal(2, ReadCount));
        Assert.All(burst, b => Assert.False(b.IsCompleted)); // not the read that began before they called

        var late = _shared.ReadAsync(); // called while the second runs: it gets a third
        Read(1).SetResult(2);
        Assert.All(await Task.WhenAll(burst), v => Assert.Equal(2, v));
        await Eventually.AssertAsync(() => Assert.Equal(3, ReadCount));
        Assert.False(late.IsCompleted);
        Read(2).SetResult(3);
        Assert.Equal(3, await late);
        Assert.Equal(3, _shared.Started);
    }

    [Fact]
    public async Task A_caller_after_the_reads_ended_starts_a_new_one()
    {
        var first = _shared.ReadAsync();
        await Eventually.AssertAsync(() => Assert.Equal(1, ReadCount));
        Read(0).SetResult(1);
        Assert.Equal(1, await first);

        // The ended read is never shared again: the next caller gets a read of its own.
        var next = _shared.ReadAsync();
        await Eventually.AssertAsync(() => Assert.Equal(2, ReadCount));
        Assert.False(next.IsCompleted);
        Read(1).SetResult(2);
        Assert.Equal(2, await next);
    }

    [Fact]
    public async Task A_failed_read_fails_its_callers_and_the_next_caller_reads_again()
    {
        var first = _shared.ReadAsync();
        await Eventually.AssertAsync(() => Assert.Equal(1, ReadCount));
        Read(0).SetException(new InvalidOperationException("no majority"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => first);

        var again = _shared.ReadAsync();
        await Eventually.AssertAsync(() => Assert.Equal(2, ReadCount));
        Read(1).SetResult(5);
        Assert.Equal(5, await again);
    }
}
