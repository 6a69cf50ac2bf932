using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The bytes of a simulated state page, generated on demand from (content seed, page, version) and never stored. Each
/// 64-byte cache line is one 64-bit pattern repeated, mixed per line: cheap enough (<c>Span.Fill</c>) that producing
/// the state runs at memory speed, and different enough that a flipped or misplaced byte changes the checksum.
/// </summary>
internal static class PageContent
{
    private const int LineBytes = 64;

    /// <summary>The 64-bit key of one page version.</summary>
    public static ulong Key(ulong contentSeed, int page, uint version) =>
        Mix(contentSeed ^ Mix(((ulong)(uint)page << 32) | version));

    /// <summary>Writes bytes [offset, offset + destination.Length) of the page with <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: a demo migrates once, before tiering
    public static void Write(Span<byte> destination, ulong key, int offset)
    {
        var line = offset / LineBytes;
        var inLine = offset % LineBytes;
        Span<byte> scratch = stackalloc byte[LineBytes];
        if (inLine != 0)
        {
            FillLine(scratch, key, line);
            var n = Math.Min(LineBytes - inLine, destination.Length);
            scratch.Slice(inLine, n).CopyTo(destination);
            destination = destination[n..];
            line++;
        }

        var whole = destination.Length / LineBytes;
        if (whole > 0)
        {
            // Two 32-byte stores per line; the JIT falls back to scalar code where AVX is missing.
            ref var start = ref MemoryMarshal.GetReference(destination);
            for (var i = 0; i < whole; i++)
            {
                var v = Vector256.Create(LineValue(key, line + i)).AsByte();
                ref var at = ref Unsafe.Add(ref start, i * LineBytes);
                v.StoreUnsafe(ref at);
                v.StoreUnsafe(ref Unsafe.Add(ref at, 32));
            }

            destination = destination[(whole * LineBytes)..];
            line += whole;
        }

        if (destination.Length > 0)
        {
            FillLine(scratch, key, line);
            scratch[..destination.Length].CopyTo(destination);
        }
    }

    private static void FillLine(Span<byte> line64, ulong key, int line) =>
        MemoryMarshal.Cast<byte, ulong>(line64).Fill(LineValue(key, line));

    private static ulong LineValue(ulong key, int line) => key ^ ((ulong)(line + 1) * 0xD6E8FEB86659FD93UL);

    /// <summary>SplitMix64's finalizer: a cheap bijective mix.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
