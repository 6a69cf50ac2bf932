using System.Buffers;
using Orchestrator.Cluster.Transfer;

namespace Orchestrator.Cluster.Tests.Transfer;

public sealed class TransferBuffersTests
{
    private const int MiB = 1 << 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public void It_keeps_at_most_its_arrays_per_size_and_gives_the_same_ones_again()
    {
        var pool = new TransferBuffers(maxArrayBytes: MiB, arraysPerSize: 3); // no larger size to take from
        var first = Enumerable.Range(0, 5).Select(_ => pool.Rent(MiB)).ToList();
        var arrays = first.Select(Array).ToList();
        Assert.All(arrays, a => Assert.Equal(MiB, a.Length));
        first.ForEach(l => l.Dispose());

        var second = Enumerable.Range(0, 5).Select(_ => pool.Rent(MiB)).ToList();
        var again = second.Select(Array).Count(a => arrays.Any(b => ReferenceEquals(a, b)));
        Assert.Equal(3, again); // the other two were left to the GC: nothing beyond the bound stays
        second.ForEach(l => l.Dispose());
    }

    [Fact]
    public void A_lease_goes_back_once_and_cannot_be_used_after()
    {
        var pool = new TransferBuffers(arraysPerSize: 2);
        var lease = pool.Rent(4096);
        var array = Array(lease);
        lease.Dispose();
        lease.Dispose(); // a second dispose must not put the array in the pool twice
        Assert.Throws<ObjectDisposedException>(() => lease.Memory);

        using var a = pool.Rent(4096);
        using var b = pool.Rent(4096);
        Assert.Same(array, Array(a));
        Assert.NotSame(array, Array(b));
    }

    [Fact]
    public void A_rent_past_the_largest_size_is_allocated_and_not_kept()
    {
        var pool = new TransferBuffers(maxArrayBytes: MiB, arraysPerSize: 2);
        var lease = pool.Rent(MiB + 1);
        var array = Array(lease);
        Assert.True(array.Length >= MiB + 1);
        lease.Dispose();
        using var next = pool.Rent(MiB + 1);
        Assert.NotSame(array, Array(next));
    }

    [Fact]
    public async Task A_transfer_takes_its_segments_from_the_options_pool_and_gives_every_one_back()
    {
        var pool = new CountingPool(new TransferBuffers());
        var sink = new PatternSink();
        const long length = 5L * MiB + 123;
        await using (var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync, new StateTransferListenerOptions { BufferPool = pool }))
        {
            var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(length), new StateTransferSenderOptions { BufferPool = pool })
                .WaitAsync(Patience);
            var received = await listener.Completion.WaitAsync(Patience);
            Assert.True(sent.IsOk, sent.Detail);
            Assert.True(received.IsOk, received.Detail);
            Assert.Equal(length, sink.Received);
        }

        // The sender's 1 MiB chunk segments and the target's 1 MiB read segments at least.
        Assert.True(pool.LargestRent >= MiB, $"largest rent {pool.LargestRent} B");
        Assert.True(pool.Rented >= 2, $"{pool.Rented} rented");
        Assert.Equal(pool.Rented, pool.Returned);
    }

    private static byte[] Array(IMemoryOwner<byte> lease) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(lease.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    /// <summary>Counts what the pipes rent from, and give back to, the pool under it.</summary>
    private sealed class CountingPool(MemoryPool<byte> inner) : MemoryPool<byte>
    {
        private int _rented;
        private int _returned;
        private int _largest;

        public int Rented => Volatile.Read(ref _rented);

        public int Returned => Volatile.Read(ref _returned);

        public int LargestRent => Volatile.Read(ref _largest);

        public override int MaxBufferSize => inner.MaxBufferSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            Interlocked.Increment(ref _rented);
            int seen;
            while (minBufferSize > (seen = Volatile.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, minBufferSize, seen) != seen)
            {
            }

            return new Counted(this, inner.Rent(minBufferSize));
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Counted(CountingPool pool, IMemoryOwner<byte> lease) : IMemoryOwner<byte>
        {
            private int _disposed;

            public Memory<byte> Memory => lease.Memory;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Increment(ref pool._returned);
                    lease.Dispose();
                }
            }
        }
    }
}
