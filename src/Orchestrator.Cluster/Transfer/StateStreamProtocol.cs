using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// The PF→PF state-stream wire format (version 1). Every frame is an 8-byte header and a payload:
/// <code>
///   offset 0  u8   type      (FrameType)
///   offset 1  u8×3 reserved  (0; a receiver ignores them)
///   offset 4  u32  length    payload bytes, little-endian
/// </code>
/// Payloads (all integers little-endian, text UTF-8):
/// <code>
///   Hello    u8 version=1 | i64 epoch | u16 n, token[n] | u16 m, migrationId[m] [| u16 t, traceparent[t]]  (≤ 1 KiB)
///   Accepted (empty)
///   Data     raw payload bytes                                                           (≤ 16 MiB)
///   End      u64 totalBytes | u64 checksumLow | u64 checksumHigh | u8 flags (1 = last)   (cumulative)
///   Ack      u8 outcome | u64 totalBytes | u64 checksumLow | u64 checksumHigh | detail…  (receiver's view)
///   Refused  u8 refusal | detail…
///   Abort    u8 outcome | detail…
/// </code>
/// Conversation: sender Hello → target Accepted (or Refused + close) → sender (Data* End)+ with each End answered
/// by an Ack; the End with the last flag ends the stream. A failure Ack or an Abort ends it early. The checksum
/// is XxHash128 (seed 0) over every payload byte since the handshake, so each End re-verifies the whole stream.
/// </summary>
internal static class StateStreamProtocol
{
    public const int HeaderSize = 8;
    public const byte Version = 1;
    public const int MaxHelloLength = 1024;
    public const int MaxControlLength = 4096;
    public const int MaxDataLength = 16 << 20;
    public const int EndLength = 8 + 16 + 1;
    public const byte LastSegmentFlag = 1;

    /// <summary>Writes a frame header into the first <see cref="HeaderSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, int length)
    {
        destination[0] = (byte)type;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)length);
    }

    public static void WriteHello(PipeWriter writer, string token, string migrationId, long epoch, string? traceParent = null)
    {
        var tokenBytes = Encoding.UTF8.GetBytes(token);
        var idBytes = Encoding.UTF8.GetBytes(migrationId);
        var traceBytes = traceParent is null ? [] : Encoding.UTF8.GetBytes(traceParent);
        var length = 1 + 8 + 2 + tokenBytes.Length + 2 + idBytes.Length + (traceParent is null ? 0 : 2 + traceBytes.Length);
        if (length > MaxHelloLength)
        {
            throw new ArgumentException($"token and migration id are too long for a Hello ({length} bytes)", nameof(token));
        }

        var span = writer.GetSpan(HeaderSize + length);
        WriteHeader(span, FrameType.Hello, length);
        var p = span[HeaderSize..];
        p[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(p[1..], epoch);
        BinaryPrimitives.WriteUInt16LittleEndian(p[9..], (ushort)tokenBytes.Length);
        tokenBytes.CopyTo(p[11..]);
        var at = 11 + tokenBytes.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(p[at..], (ushort)idBytes.Length);
        idBytes.CopyTo(p[(at + 2)..]);
        if (traceParent is not null)
        {
            at += 2 + idBytes.Length;
            BinaryPrimitives.WriteUInt16LittleEndian(p[at..], (ushort)traceBytes.Length);
            traceBytes.CopyTo(p[(at + 2)..]);
        }

        writer.Advance(HeaderSize + length);
    }

    public static bool TryParseHello(ReadOnlySpan<byte> payload, out HelloFrame hello)
    {
        hello = default;
        if (payload.Length < 13 || payload[0] != Version)
        {
            return false;
        }

        var epoch = BinaryPrimitives.ReadInt64LittleEndian(payload[1..]);
        int tokenLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[9..]);
        if (payload.Length < 11 + tokenLength + 2)
        {
            return false;
        }

        var token = payload.Slice(11, tokenLength).ToArray();
        var at = 11 + tokenLength;
        int idLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        if (payload.Length < at + 2 + idLength)
        {
            return false;
        }

        var migrationId = Encoding.UTF8.GetString(payload.Slice(at + 2, idLength));
        at += 2 + idLength;
        string? traceParent = null;
        if (payload.Length > at)
        {
            // Optional: the sender's trace context, so that the receiver's span joins the migration's trace.
            if (payload.Length < at + 2)
            {
                return false;
            }

            int traceLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
            if (payload.Length != at + 2 + traceLength)
            {
                return false;
            }

            traceParent = Encoding.UTF8.GetString(payload.Slice(at + 2, traceLength));
        }

        hello = new HelloFrame(token, migrationId, epoch, traceParent);
        return true;
    }

    public static void WriteEmpty(PipeWriter writer, FrameType type)
    {
        WriteHeader(writer.GetSpan(HeaderSize), type, 0);
        writer.Advance(HeaderSize);
    }

    public static void WriteEnd(PipeWriter writer, long totalBytes, UInt128 checksum, bool last)
    {
        var span = writer.GetSpan(HeaderSize + EndLength);
        WriteHeader(span, FrameType.End, EndLength);
        var p = span[HeaderSize..];
        BinaryPrimitives.WriteInt64LittleEndian(p, totalBytes);
        WriteChecksum(p[8..], checksum);
        p[24] = last ? LastSegmentFlag : (byte)0;
        writer.Advance(HeaderSize + EndLength);
    }

    public static bool TryParseEnd(ReadOnlySpan<byte> payload, out long totalBytes, out UInt128 checksum, out bool last)
    {
        totalBytes = 0;
        checksum = 0;
        last = false;
        if (payload.Length != EndLength)
        {
            return false;
        }

        totalBytes = BinaryPrimitives.ReadInt64LittleEndian(payload);
        checksum = ReadChecksum(payload[8..]);
        last = (payload[24] & LastSegmentFlag) != 0;
        return totalBytes >= 0;
    }

    public static void WriteAck(PipeWriter writer, StateTransferOutcome outcome, long totalBytes, UInt128 checksum, string? detail)
    {
        var text = Truncate(detail);
        var length = 1 + 8 + 16 + text.Length;
        var span = writer.GetSpan(HeaderSize + length);
        WriteHeader(span, FrameType.Ack, length);
        var p = span[HeaderSize..];
        p[0] = (byte)outcome;
        BinaryPrimitives.WriteInt64LittleEndian(p[1..], totalBytes);
        WriteChecksum(p[9..], checksum);
        text.CopyTo(p[25..]);
        writer.Advance(HeaderSize + length);
    }

    public static bool TryParseAck(ReadOnlySpan<byte> payload, out StateTransferOutcome outcome, out long totalBytes, out UInt128 checksum, out string? detail)
    {
        outcome = StateTransferOutcome.ProtocolError;
        totalBytes = 0;
        checksum = 0;
        detail = null;
        if (payload.Length < 25)
        {
            return false;
        }

        outcome = (StateTransferOutcome)payload[0];
        totalBytes = BinaryPrimitives.ReadInt64LittleEndian(payload[1..]);
        checksum = ReadChecksum(payload[9..]);
        detail = payload.Length > 25 ? Encoding.UTF8.GetString(payload[25..]) : null;
        return true;
    }

    /// <summary>Writes a Refused or Abort frame: one code byte and a UTF-8 reason.</summary>
    public static void WriteReason(PipeWriter writer, FrameType type, byte code, string? detail)
    {
        var text = Truncate(detail);
        var span = writer.GetSpan(HeaderSize + 1 + text.Length);
        WriteHeader(span, type, 1 + text.Length);
        span[HeaderSize] = code;
        text.CopyTo(span[(HeaderSize + 1)..]);
        writer.Advance(HeaderSize + 1 + text.Length);
    }

    public static bool TryParseReason(ReadOnlySpan<byte> payload, out byte code, out string? detail)
    {
        code = 0;
        detail = null;
        if (payload.Length < 1)
        {
            return false;
        }

        code = payload[0];
        detail = payload.Length > 1 ? Encoding.UTF8.GetString(payload[1..]) : null;
        return true;
    }

    /// <summary>Reads one frame header; null at a clean end of stream (no byte of a new frame).</summary>
    /// <exception cref="EndOfStreamException">The stream ended inside a header.</exception>
    public static async ValueTask<(FrameType Type, int Length)?> ReadHeaderAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.Length >= HeaderSize)
            {
                var header = ParseHeader(buffer);
                reader.AdvanceTo(buffer.GetPosition(HeaderSize));
                return header;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return buffer.IsEmpty ? null : throw new EndOfStreamException("stream ended inside a frame header");
            }
        }
    }

    /// <summary>Reads a whole (small, control) payload into a new array.</summary>
    /// <exception cref="EndOfStreamException">The stream ended inside the payload.</exception>
    public static async ValueTask<byte[]> ReadPayloadAsync(PipeReader reader, int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.Length >= length)
            {
                var payload = buffer.Slice(0, length).ToArray();
                reader.AdvanceTo(buffer.GetPosition(length));
                return payload;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                throw new EndOfStreamException("stream ended inside a frame payload");
            }
        }
    }

    /// <summary>Flushes <paramref name="writer"/>; a flush the pipe reports cancelled throws, as a cancelled read does.</summary>
    public static async ValueTask FlushAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        var flushed = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flushed.IsCanceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>Reads and discards until the peer closes (or the token fires), for a graceful close.</summary>
    public static async ValueTask DrainAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return;
            }
        }
    }

    private static (FrameType Type, int Length) ParseHeader(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        // A length beyond int range is answered as a protocol error by the callers' per-type limits.
        return ((FrameType)header[0], length > int.MaxValue ? int.MaxValue : (int)length);
    }

    private static void WriteChecksum(Span<byte> destination, UInt128 checksum)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, (ulong)checksum);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], (ulong)(checksum >> 64));
    }

    private static UInt128 ReadChecksum(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(source[8..]), BinaryPrimitives.ReadUInt64LittleEndian(source));

    private static byte[] Truncate(string? detail)
    {
        // Reasons are for humans; cap them so a control frame stays small whatever an exception message holds.
        var text = detail ?? string.Empty;
        return Encoding.UTF8.GetBytes(text.Length > 1000 ? text[..1000] : text);
    }
}
