using System.Buffers.Binary;
using System.Text;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The simulated state stream, modelled on mlx5's records: each record is <c>{le64 size; le32 flags; le32 tag; data}</c>.
/// <code>
///   HEADER (mandatory, first): magic, format, page size, state size, content seed, compatibility, match block
///   PAGE   (mandatory): le32 page, le32 version, le64 reserved, page bytes
///   STOP_COPY_SIZE (optional, like mlx5 tag 1): le64 expected bytes; a target skips it
///   END    (mandatory, last): le64 bytes before END, XxHash128 of those bytes, state digest
/// </code>
/// A record with flag bit 0 set is optional and skipped by a target that does not know its tag; an unknown mandatory
/// tag fails the load (EOPNOTSUPP), as mlx5 does.
/// </summary>
internal static class StateStreamFormat
{
    public const int RecordHeaderBytes = 16;
    public const int PageHeaderBytes = 16;
    public const int PageSize = 64 * 1024;
    public const uint FlagOptional = 1;
    public const uint TagHeader = 0x10;
    public const uint TagPage = 0x11;
    public const uint TagStopCopySize = 0x12;
    public const uint TagEnd = 0x1F;
    public const int EndDataBytes = 8 + 16 + 16;
    public const int StopCopySizeRecordBytes = RecordHeaderBytes + 8;
    public const int EndRecordBytes = RecordHeaderBytes + EndDataBytes;
    public const ulong Magic = 0x3156_5354_4d49_5356; // "VSIMTSV1" little-endian
    public const uint FormatVersion = 1;

    /// <summary>mlx5 refuses records larger than its MAX_LOAD_SIZE (ENOMEM); chunk buffers are at most 8 MiB.</summary>
    public const long MaxRecordBytes = 8L * 1024 * 1024;

    /// <summary>Largest header record accepted; a header is small.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    public static void WriteRecordHeader(Span<byte> span, long size, uint flags, uint tag)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span, size);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], tag);
    }

    public static byte[] BuildHeader(StreamHeader header)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(new byte[RecordHeaderBytes]);
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(header.PageSize);
            w.Write(header.StateBytes);
            w.Write(header.ContentSeed);
            WriteString(w, header.Compatibility.Driver);
            WriteString(w, header.Compatibility.DeviceType);
            WriteString(w, header.Compatibility.Firmware);
            WriteString(w, header.Compatibility.Profile.Value);
            w.Write((byte)header.Compatibility.Kind);
            w.Write((ushort)header.Compatibility.MatchData.Count);
            w.Write([.. header.Compatibility.MatchData]);
        }

        var bytes = ms.ToArray();
        WriteRecordHeader(bytes, bytes.Length - RecordHeaderBytes, 0, TagHeader);
        return bytes;
    }

    /// <summary>Parses a header record's data; null with a reason when malformed.</summary>
    public static StreamHeader? ParseHeader(ReadOnlySpan<byte> data, out string? error)
    {
        error = null;
        try
        {
            using var ms = new MemoryStream(data.ToArray());
            using var r = new BinaryReader(ms, Encoding.UTF8);
            var magic = r.ReadUInt64();
            if (magic != Magic)
            {
                error = $"bad header magic 0x{magic:X16}";
                return null;
            }

            var version = r.ReadUInt32();
            if (version != FormatVersion)
            {
                error = $"unsupported stream format version {version}";
                return null;
            }

            var pageSize = r.ReadInt32();
            var stateBytes = r.ReadInt64();
            var seed = r.ReadUInt64();
            var driver = ReadString(r);
            var deviceType = ReadString(r);
            var firmware = ReadString(r);
            var profile = ReadString(r);
            var kind = (VfKind)r.ReadByte();
            var matchLength = r.ReadUInt16();
            var match = r.ReadBytes(matchLength);
            if (match.Length != matchLength || pageSize <= 0 || stateBytes <= 0)
            {
                error = "truncated or inconsistent header record";
                return null;
            }

            if (!ProfileId.TryParse(profile, out var profileId, out var profileError))
            {
                error = $"header record: {profileError}";
                return null;
            }

            return new StreamHeader(pageSize, stateBytes, seed, new CompatibilityData(driver, deviceType, firmware, profileId, kind, match));
        }
        catch (EndOfStreamException)
        {
            error = "truncated header record";
            return null;
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ushort)bytes.Length);
        w.Write(bytes);
    }

    private static string ReadString(BinaryReader r)
    {
        var length = r.ReadUInt16();
        var bytes = r.ReadBytes(length);
        if (bytes.Length != length)
        {
            throw new EndOfStreamException();
        }

        return Encoding.UTF8.GetString(bytes);
    }
}

/// <summary>The decoded header record.</summary>
internal sealed record StreamHeader(int PageSize, long StateBytes, ulong ContentSeed, CompatibilityData Compatibility);
