using System.Buffers.Binary;
using System.IO.Hashing;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The source side of one saving data stream. Emits the header, then every page once (the initial image), then the
/// pages the workload changed after they were read; in STOP_COPY it finishes with the END record. Records are produced
/// on demand into the reader's buffer, so no state is ever held in memory. Called under the VF's gate.
/// </summary>
internal sealed class SaveSession
{
    private readonly SimVf _vf;
    private readonly PreCopyTracking _tracking;
    private readonly byte[] _header;
    private readonly ulong[] _dirtyBits;
    private readonly byte[] _pageHead = new byte[StateStreamFormat.RecordHeaderBytes + StateStreamFormat.PageHeaderBytes];
    private readonly XxHash128 _hash = new();
    private bool _headerDone;
    private int _cursor;
    private int _dirtyCount;
    private int _dirtyScan;
    private bool _endDone;

    // The record being emitted: a small one (header, end) from _small, or a page generated on the fly.
    private byte[]? _small;
    private bool _inPage;
    private bool _currentFromInitial;
    private int _currentLength;
    private int _currentPosition;
    private ulong _currentKey;

    public SaveSession(SimVf vf, PreCopyTracking tracking, byte[] header, bool stopCopy)
    {
        _vf = vf;
        _tracking = tracking;
        _header = header;
        _dirtyBits = new ulong[(vf.PageCount + 63) / 64];
        InStopCopy = stopCopy;
    }

    public bool InStopCopy { get; private set; }

    public long Emitted { get; private set; }

    /// <summary>True once the END record has been read completely: reads answer end of stream from then on.</summary>
    public bool Complete => _endDone && _small is null && !_inPage;

    /// <summary>The stream as saved, once the END record was produced.</summary>
    public StreamSummary? Summary { get; private set; }

    private bool HasCurrent => _small is not null || _inPage;

    private int FullRecord => StateStreamFormat.RecordHeaderBytes + StateStreamFormat.PageHeaderBytes + StateStreamFormat.PageSize;

    private int LastPage => _vf.PageCount - 1;

    private int LastRecord => StateStreamFormat.RecordHeaderBytes + StateStreamFormat.PageHeaderBytes + _vf.PageLength(LastPage);

    public void EnterStopCopy()
    {
        InStopCopy = true;
        if (_tracking == PreCopyTracking.InitialOnly)
        {
            // hisi_acc: STOP_COPY saves the whole acc_vf_data again; pre-copy only shipped it early.
            _cursor = 0;
            Array.Clear(_dirtyBits);
            _dirtyCount = 0;
        }
    }

    public void OnPageDirtied(int page)
    {
        if (page >= _cursor)
        {
            return; // not read yet: the initial pass will send the new version
        }

        switch (_tracking)
        {
            case PreCopyTracking.Incremental:
                SetDirty(page);
                break;
            case PreCopyTracking.FullContext:
                if (_dirtyCount == _cursor)
                {
                    break; // the whole context read so far is already due again
                }

                for (var p = 0; p < _cursor; p++)
                {
                    SetDirty(p);
                }

                break;
            case PreCopyTracking.InitialOnly:
                break;
        }
    }

    /// <summary>Copies as many stream bytes as fit; 0 when nothing is available now (or ever, see <see cref="Complete"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int Read(Span<byte> destination)
    {
        var total = 0;
        while (destination.Length > 0)
        {
            if (!HasCurrent && !NextRecord())
            {
                break;
            }

            var n = CopyCurrent(destination);
            _hash.Append(destination[..n]);
            Emitted += n;
            total += n;
            destination = destination[n..];
        }

        return total;
    }

    public (long Initial, long Dirty) PreCopyInfo()
    {
        long initial = _headerDone ? 0 : _header.Length;
        if (_cursor < _vf.PageCount)
        {
            initial += ((long)(_vf.PageCount - _cursor - 1) * FullRecord) + LastRecord;
        }

        long dirty = 0;
        if (_tracking != PreCopyTracking.InitialOnly)
        {
            dirty = (long)_dirtyCount * FullRecord;
            if (IsDirty(LastPage))
            {
                dirty -= FullRecord - LastRecord;
            }
        }

        if (HasCurrent)
        {
            var rest = _currentLength - _currentPosition;
            if (_currentFromInitial)
            {
                initial += rest;
            }
            else
            {
                dirty += rest;
            }
        }

        return (initial, dirty);
    }

    /// <summary>MIG_DATA_SIZE while this session is open: what STOP_COPY still has to move.</summary>
    public long RemainingEstimate()
    {
        if (_endDone)
        {
            return HasCurrent ? _currentLength - _currentPosition : 0;
        }

        if (_tracking == PreCopyTracking.InitialOnly && !InStopCopy)
        {
            return FullImageBytes(_vf, 0) + StateStreamFormat.EndRecordBytes;
        }

        var (initial, dirty) = PreCopyInfo();
        return initial + dirty + StateStreamFormat.EndRecordBytes;
    }

    /// <summary>Bytes of all page records of a VF plus a header of the given length.</summary>
    public static long FullImageBytes(SimVf vf, int headerBytes) =>
        headerBytes + ((long)vf.PageCount * (StateStreamFormat.RecordHeaderBytes + StateStreamFormat.PageHeaderBytes)) + vf.StateBytes;

    private bool NextRecord()
    {
        if (!_headerDone)
        {
            _headerDone = true;
            StartSmall(_header, fromInitial: true);
            return true;
        }

        if (_cursor < _vf.PageCount)
        {
            StartPage(_cursor++, fromInitial: true);
            return true;
        }

        if (_dirtyCount > 0 && _tracking != PreCopyTracking.InitialOnly)
        {
            StartPage(TakeDirty(), fromInitial: false);
            return true;
        }

        if (InStopCopy && !_endDone)
        {
            _endDone = true;
            var checksum = _hash.GetCurrentHashAsUInt128();
            var digest = _vf.StateDigest();
            Summary = new StreamSummary(Emitted, checksum, digest);
            var end = new byte[StateStreamFormat.EndRecordBytes];
            StateStreamFormat.WriteRecordHeader(end, StateStreamFormat.EndDataBytes, 0, StateStreamFormat.TagEnd);
            BinaryPrimitives.WriteInt64LittleEndian(end.AsSpan(16), Emitted);
            BinaryPrimitives.WriteUInt128LittleEndian(end.AsSpan(24), checksum);
            BinaryPrimitives.WriteUInt128LittleEndian(end.AsSpan(40), digest);
            StartSmall(end, fromInitial: false);
            return true;
        }

        return false;
    }

    private void StartSmall(byte[] record, bool fromInitial)
    {
        _small = record;
        _inPage = false;
        _currentFromInitial = fromInitial;
        _currentLength = record.Length;
        _currentPosition = 0;
    }

    private void StartPage(int page, bool fromInitial)
    {
        var version = _vf.Versions[page];
        var length = _vf.PageLength(page);
        StateStreamFormat.WriteRecordHeader(_pageHead, StateStreamFormat.PageHeaderBytes + length, 0, StateStreamFormat.TagPage);
        BinaryPrimitives.WriteInt32LittleEndian(_pageHead.AsSpan(16), page);
        BinaryPrimitives.WriteUInt32LittleEndian(_pageHead.AsSpan(20), version);
        BinaryPrimitives.WriteInt64LittleEndian(_pageHead.AsSpan(24), 0);
        _currentKey = PageContent.Key(_vf.ContentSeed, page, version);
        _small = null;
        _inPage = true;
        _currentFromInitial = fromInitial;
        _currentLength = _pageHead.Length + length;
        _currentPosition = 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private int CopyCurrent(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _currentLength - _currentPosition);
        if (_small is not null)
        {
            _small.AsSpan(_currentPosition, n).CopyTo(destination);
        }
        else
        {
            var written = 0;
            if (_currentPosition < _pageHead.Length)
            {
                var h = Math.Min(n, _pageHead.Length - _currentPosition);
                _pageHead.AsSpan(_currentPosition, h).CopyTo(destination);
                written = h;
            }

            if (written < n)
            {
                PageContent.Write(destination[written..n], _currentKey, _currentPosition + written - _pageHead.Length);
            }
        }

        _currentPosition += n;
        if (_currentPosition == _currentLength)
        {
            _small = null;
            _inPage = false;
        }

        return n;
    }

    private bool IsDirty(int page) => (_dirtyBits[page >> 6] & (1UL << (page & 63))) != 0;

    private void SetDirty(int page)
    {
        ref var word = ref _dirtyBits[page >> 6];
        var bit = 1UL << (page & 63);
        if ((word & bit) == 0)
        {
            word |= bit;
            _dirtyCount++;
        }
    }

    private int TakeDirty()
    {
        // Round-robin from where the last scan stopped, a word at a time.
        var words = _dirtyBits.Length;
        for (var i = 0; i <= words; i++)
        {
            var w = (_dirtyScan + i) % words;
            if (_dirtyBits[w] != 0)
            {
                var bit = System.Numerics.BitOperations.TrailingZeroCount(_dirtyBits[w]);
                _dirtyBits[w] &= ~(1UL << bit);
                _dirtyCount--;
                _dirtyScan = w;
                return (w << 6) + bit;
            }
        }

        throw new InvalidOperationException("dirty count out of step with the bitmap");
    }
}
