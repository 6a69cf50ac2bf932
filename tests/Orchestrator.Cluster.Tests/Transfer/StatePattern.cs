using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Orchestrator.Cluster.Tests.Transfer;

/// <summary>
/// Deterministic "device state": the byte at offset p is byte (p mod 8) of SplitMix64(p / 8 + seed). Any slice
/// can be regenerated from its offset alone, so a sink verifies 256 MiB without holding it.
/// </summary>
internal static class StatePattern
{
    public static void Fill(long offset, Span<byte> destination, ulong seed = 0)
    {
        var i = 0;
        while (i < destination.Length && ((offset + i) & 7) != 0)
        {
            destination[i] = ByteAt(offset + i, seed);
            i++;
        }

        var words = MemoryMarshal.Cast<byte, ulong>(destination.Slice(i, (destination.Length - i) & ~7));
        var word = (ulong)((offset + i) >> 3);
        for (var k = 0; k < words.Length; k++)
        {
            var value = Mix(word + (ulong)k + seed);
            words[k] = BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        }

        i += words.Length * 8;
        while (i < destination.Length)
        {
            destination[i] = ByteAt(offset + i, seed);
            i++;
        }
    }

    /// <summary>A source that yields <paramref name="length"/> pattern bytes starting at <paramref name="start"/>.</summary>
    public static Func<Memory<byte>, CancellationToken, ValueTask<int>> Source(long length, long start = 0, ulong seed = 0)
    {
        var position = start;
        var end = start + length;
        return (buffer, _) =>
        {
            var n = (int)Math.Min(buffer.Length, end - position);
            Fill(position, buffer.Span[..n], seed);
            position += n;
            return ValueTask.FromResult(n);
        };
    }

    private static byte ByteAt(long offset, ulong seed) => (byte)(Mix((ulong)(offset >> 3) + seed) >> (int)((offset & 7) * 8));

    private static ulong Mix(ulong x)
    {
        var z = x * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
