using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The target side of one resuming data stream: parses records as bytes arrive in any segmentation, checks the header
/// (through the driver's rule) the moment it is complete, keeps only page versions, and hashes every byte before the
/// END record. <see cref="Finish"/> is the RESUMING→STOP validation. Called under the VF's gate.
/// </summary>
internal sealed class ResumeSession
{
    private readonly Func<StreamHeader, string?> _checkHeader;
    private readonly byte[] _recordHead = new byte[StateStreamFormat.RecordHeaderBytes];
    private readonly XxHash128 _hash = new();
    private int _recordHeadFill;
    private bool _inRecord;
    private uint _tag;
    private long _recordRemaining;

    // Small records (header, end) and page heads are gathered here; page content is hashed and dropped.
    private byte[]? _gather;
    private int _gatherFill;
    private int _gatherNeed;
    private bool _pageHeadDone;
    private int _page;
    private uint _version;

    private StreamHeader? _header;
    private uint[]? _versions;
    private ulong[]? _seen;
    private int _seenCount;
    private long _hashedBytes;
    private bool _endSeen;
    private bool _initialImagePending; // the last write completed the first whole image (every page received once)
    private long _endBytes;
    private UInt128 _endChecksum;
    private UInt128 _endDigest;

    public ResumeSession(Func<StreamHeader, string?> checkHeader)
    {
        _checkHeader = checkHeader;
    }

    /// <summary>Set once a write failed: later writes answer ENODEV, RESUMING→STOP fails with it.</summary>
    public string? Error { get; private set; }

    public StreamHeader? Header => _header;

    public long BytesWritten { get; private set; }

    /// <summary>True once the first whole image has been loaded while RESUMING (mlx5: in the write that completed it).</summary>
    public bool InitialImageLoaded { get; set; }

    /// <summary>True once, right after the write that completed the first whole image.</summary>
    public bool TakeInitialImage()
    {
        var pending = _initialImagePending;
        _initialImagePending = false;
        return pending;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Write(ReadOnlySpan<byte> data)
    {
        if (Error is not null)
        {
            throw new VfioException(VfioErrno.ENODEV, $"resuming stream is in error: {Error}");
        }

        BytesWritten += data.Length;
        while (data.Length > 0)
        {
            if (_endSeen)
            {
                Fail(VfioErrno.EINVAL, "data after the END record");
            }

            if (!_inRecord)
            {
                var n = Math.Min(data.Length, _recordHead.Length - _recordHeadFill);
                data[..n].CopyTo(_recordHead.AsSpan(_recordHeadFill));
                _recordHeadFill += n;
                data = data[n..];
                if (_recordHeadFill == _recordHead.Length)
                {
                    BeginRecord();
                }

                continue;
            }

            var take = (int)Math.Min(data.Length, _recordRemaining);
            var chunk = data[..take];
            data = data[take..];
            _recordRemaining -= take;
            Consume(chunk);
            if (_recordRemaining == 0)
            {
                EndRecord();
            }
        }
    }

    /// <summary>The RESUMING→STOP check: null and the loaded versions when the stream is whole, else the reason.</summary>
    public string? Finish(out uint[]? versions)
    {
        versions = null;
        if (Error is not null)
        {
            return Error;
        }

        if (_header is null)
        {
            return $"incomplete stream: no header record ({BytesWritten} bytes written)";
        }

        if (!_endSeen)
        {
            return $"incomplete stream: END record missing after {BytesWritten} bytes";
        }

        if (_seenCount < _versions!.Length)
        {
            return $"incomplete stream: {_versions.Length - _seenCount} of {_versions.Length} pages never received";
        }

        if (_endBytes != _hashedBytes)
        {
            return $"corrupt stream: END record says {_endBytes} bytes, received {_hashedBytes}";
        }

        var checksum = _hash.GetCurrentHashAsUInt128();
        if (checksum != _endChecksum)
        {
            return $"corrupt stream: checksum mismatch (END record {_endChecksum:X32}, computed {checksum:X32})";
        }

        var digest = SimVf.Digest(_header.ContentSeed, _header.StateBytes, _versions);
        if (digest != _endDigest)
        {
            return $"corrupt stream: loaded state digest {digest:X32} differs from the saved {_endDigest:X32}";
        }

        versions = _versions;
        return null;
    }

    public StreamSummary Summary(UInt128 digest) => new(_hashedBytes, _hash.GetCurrentHashAsUInt128(), digest);

    private void BeginRecord()
    {
        _recordHeadFill = 0;
        var size = BinaryPrimitives.ReadInt64LittleEndian(_recordHead);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(_recordHead.AsSpan(8));
        _tag = BinaryPrimitives.ReadUInt32LittleEndian(_recordHead.AsSpan(12));
        if (size < 0 || size > StateStreamFormat.MaxRecordBytes)
        {
            Fail(VfioErrno.ENOMEM, $"record of {size} bytes exceeds the load limit of {StateStreamFormat.MaxRecordBytes}");
        }

        if (_header is null && _tag != StateStreamFormat.TagHeader)
        {
            Fail(VfioErrno.EINVAL, $"stream does not start with a header record (tag 0x{_tag:X})");
        }

        if (_tag != StateStreamFormat.TagEnd)
        {
            Hash(_recordHead);
        }

        _inRecord = true;
        _recordRemaining = size;
        _gather = null;
        _pageHeadDone = false;
        switch (_tag)
        {
            case StateStreamFormat.TagHeader:
                if (_header is not null)
                {
                    Fail(VfioErrno.EINVAL, "second header record");
                }

                if (size > StateStreamFormat.MaxHeaderBytes)
                {
                    Fail(VfioErrno.ENOMEM, $"header record of {size} bytes");
                }

                Gather((int)size);
                break;
            case StateStreamFormat.TagPage:
                if (size < StateStreamFormat.PageHeaderBytes)
                {
                    Fail(VfioErrno.EINVAL, $"page record of {size} bytes");
                }

                Gather(StateStreamFormat.PageHeaderBytes);
                break;
            case StateStreamFormat.TagEnd:
                if (size != StateStreamFormat.EndDataBytes)
                {
                    Fail(VfioErrno.EINVAL, $"END record of {size} bytes");
                }

                Gather(StateStreamFormat.EndDataBytes);
                break;
            default:
                if ((flags & StateStreamFormat.FlagOptional) == 0)
                {
                    // mlx5: an unknown mandatory tag is -EOPNOTSUPP.
                    Fail(VfioErrno.EOPNOTSUPP, $"unknown mandatory record tag 0x{_tag:X}");
                }

                break; // optional (e.g. STOP_COPY_SIZE): hashed and skipped
        }

        if (_recordRemaining == 0)
        {
            EndRecord();
        }
    }

    private void Gather(int need)
    {
        _gather = new byte[need];
        _gatherNeed = need;
        _gatherFill = 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Consume(ReadOnlySpan<byte> chunk)
    {
        if (_tag != StateStreamFormat.TagEnd)
        {
            Hash(chunk);
        }

        if (_gather is not null && _gatherFill < _gatherNeed)
        {
            var n = Math.Min(chunk.Length, _gatherNeed - _gatherFill);
            chunk[..n].CopyTo(_gather.AsSpan(_gatherFill));
            _gatherFill += n;
            if (_gatherFill == _gatherNeed && _tag == StateStreamFormat.TagPage && !_pageHeadDone)
            {
                PageHead(_recordRemaining + chunk.Length - n);
            }
        }
    }

    private void PageHead(long contentBytes)
    {
        _pageHeadDone = true;
        _page = BinaryPrimitives.ReadInt32LittleEndian(_gather);
        _version = BinaryPrimitives.ReadUInt32LittleEndian(_gather.AsSpan(4));
        var versions = _versions!;
        if (_page < 0 || _page >= versions.Length)
        {
            Fail(VfioErrno.EINVAL, $"page record for page {_page}, state has {versions.Length}");
        }

        var expected = _page < versions.Length - 1
            ? _header!.PageSize
            : _header!.StateBytes - ((long)(versions.Length - 1) * _header.PageSize);
        if (contentBytes != expected)
        {
            Fail(VfioErrno.EINVAL, $"page {_page} record carries {contentBytes} bytes, expected {expected}");
        }
    }

    private void EndRecord()
    {
        _inRecord = false;
        switch (_tag)
        {
            case StateStreamFormat.TagHeader:
                var header = StateStreamFormat.ParseHeader(_gather, out var error);
                if (header is null)
                {
                    Fail(VfioErrno.EINVAL, error!);
                }

                var rejected = _checkHeader(header!);
                if (rejected is not null)
                {
                    Fail(VfioErrno.EINVAL, rejected);
                }

                _header = header;
                var pages = (int)((header!.StateBytes + header.PageSize - 1) / header.PageSize);
                _versions = new uint[pages];
                _seen = new ulong[(pages + 63) / 64];
                break;
            case StateStreamFormat.TagPage:
                _versions![_page] = _version;
                ref var word = ref _seen![_page >> 6];
                var bit = 1UL << (_page & 63);
                if ((word & bit) == 0)
                {
                    word |= bit;
                    _seenCount++;
                    _initialImagePending = _seenCount == _versions.Length;
                }

                break;
            case StateStreamFormat.TagEnd:
                _endSeen = true;
                _endBytes = BinaryPrimitives.ReadInt64LittleEndian(_gather);
                _endChecksum = BinaryPrimitives.ReadUInt128LittleEndian(_gather.AsSpan(8));
                _endDigest = BinaryPrimitives.ReadUInt128LittleEndian(_gather.AsSpan(24));
                break;
        }

        _gather = null;
    }

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        _hash.Append(bytes);
        _hashedBytes += bytes.Length;
    }

    [DoesNotReturn]
    private void Fail(VfioErrno errno, string reason)
    {
        Error = reason;
        throw new VfioException(errno, reason);
    }
}
