using System.Buffers;

namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// The memory the state transfer's pipes read and write through: a pool that keeps at most
/// <see cref="ArraysPerSize"/> arrays of each size and never trims, so what a node holds between migrations is
/// bounded and the same from one quiet moment to the next. The pipes ask for megabyte segments (the target reads
/// 1 MiB at a time; the source's segments hold a header and a 1 MiB chunk, 2 MiB once rounded up to the pool's
/// sizes). From the process-wide shared pool, which keeps one array a thread and up to 32 a core for each size and
/// trims them by age at full collections, a node held 30–40 of them (40–80 MB) that came and went between samples
/// of the soak. Past <see cref="ArraysPerSize"/> transfers at once, a segment is allocated and left to the GC.
/// </summary>
public sealed class TransferBuffers : MemoryPool<byte>
{
    /// <summary>Arrays of each size the pool keeps: the transfers a node runs at once before it allocates.</summary>
    public const int ArraysPerSize = 8;

    /// <summary>
    /// The largest array the pool keeps: a source segment (a frame header and a 1 MiB chunk), rounded up. A size whose
    /// arrays are all out takes one of the next size up if one is free, so the pool holds at most
    /// <see cref="ArraysPerSize"/> arrays of every power of two up to this: under twice this times
    /// <see cref="ArraysPerSize"/> bytes (32 MiB).
    /// </summary>
    public const int MaxArrayBytes = 2 << 20;

    private readonly ArrayPool<byte> _arrays;

    /// <summary>A pool keeping up to <paramref name="arraysPerSize"/> arrays of each size, up to <paramref name="maxArrayBytes"/>.</summary>
    public TransferBuffers(int maxArrayBytes = MaxArrayBytes, int arraysPerSize = ArraysPerSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxArrayBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(arraysPerSize);
        _arrays = ArrayPool<byte>.Create(maxArrayBytes, arraysPerSize);
        MaxBufferSize = maxArrayBytes;
    }

    /// <summary>The pool every transfer of the process uses unless its options name another.</summary>
    public static TransferBuffers Default { get; } = new();

    /// <inheritdoc/>
    public override int MaxBufferSize { get; }

    /// <summary>
    /// A lease of at least <paramref name="minBufferSize"/> bytes (4 KiB when -1); past <see cref="MaxBufferSize"/>
    /// the array is allocated and the GC takes it back.
    /// </summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1) =>
        new Lease(_arrays, _arrays.Rent(minBufferSize < 0 ? 4096 : minBufferSize));

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        // Shared for the process's lifetime; arrays out on lease go back to it (or to the GC) as their pipes end.
    }

    private sealed class Lease(ArrayPool<byte> arrays, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(TransferBuffers));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned)
            {
                arrays.Return(returned);
            }
        }
    }
}
