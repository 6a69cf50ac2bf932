using System.Text;

namespace Orchestrator.Cluster.History;

/// <summary>
/// Appends records to one history file, one JSON line each, stamping <c>t</c>, <c>seq</c> and <c>node</c>.
/// Thread-safe. Each line goes to the OS in a single unbuffered write, so a kill -9 loses at most the line being
/// written. Opening an existing file cuts a torn last line (a write a killed process did not finish) and continues
/// its <c>seq</c>, so a restarted node may append to the file it wrote before.
/// </summary>
public sealed class HistoryWriter : IDisposable
{
    private readonly object _gate = new();
    private readonly FileStream _stream;
    private readonly TimeProvider _time;
    private long _nextSeq;
    private DateTimeOffset _lastTime = DateTimeOffset.MinValue;
    private bool _disposed;

    /// <summary>Opens (or creates) <paramref name="path"/> for appending as <paramref name="node"/>.</summary>
    public HistoryWriter(string path, string node, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        Path = path;
        Node = node;
        _time = time ?? TimeProvider.System;
        // bufferSize 0: no FileStream buffer, every Write is one write(2) to the kernel, which survives kill -9.
        _stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        try
        {
            _nextSeq = RepairTail(_stream) + 1;
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>The node name stamped on every record.</summary>
    public string Node { get; }

    /// <summary>
    /// Stamps and appends <paramref name="record"/>, flushed before returning; returns the record as written.
    /// <c>t</c> never goes backwards within one writer (a clock step back repeats the last time; <c>seq</c> still orders).
    /// </summary>
    public T Append<T>(T record)
        where T : HistoryRecord
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow().ToUniversalTime();
            if (now < _lastTime)
            {
                now = _lastTime;
            }

            var stamped = record with { Time = now, Seq = _nextSeq, Node = Node };
            var bytes = Encoding.UTF8.GetBytes(HistoryJson.Serialize(stamped) + "\n");
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: false);
            _lastTime = now;
            _nextSeq++;
            return (T)stamped;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stream.Dispose();
        }
    }

    /// <summary>Cuts a torn last line, leaves the stream at the end, and returns the last <c>seq</c> written (-1 for none).</summary>
    private static long RepairTail(FileStream stream)
    {
        var length = stream.Length;
        if (length == 0)
        {
            return -1;
        }

        // Read the tail backwards in blocks until we have the last newline and the complete line before it.
        var content = ReadTail(stream, length, out var tailStart);
        var lastNewline = content.LastIndexOf((byte)'\n');
        if (lastNewline < content.Length - 1)
        {
            // The last segment has no newline: torn by a kill. Drop it; the reader would skip it anyway.
            var keep = tailStart + lastNewline + 1;
            stream.SetLength(keep);
            content = lastNewline < 0 ? [] : content[..(lastNewline + 1)];
        }

        stream.Seek(0, SeekOrigin.End);
        var lines = Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            try
            {
                return HistoryJson.Deserialize(lines[i]).Seq;
            }
            catch (System.Text.Json.JsonException)
            {
                // Not ours to judge here; the reader reports corrupt lines. Keep looking for the last good seq.
            }
        }

        return stream.Length == 0 ? -1 : ScanAllForLastSeq(stream);
    }

    private static byte[] ReadTail(FileStream stream, long length, out long tailStart)
    {
        // History lines are well under 64 KiB; read a block that holds the last two lines.
        const int Block = 64 * 1024;
        tailStart = Math.Max(0, length - Block);
        var buffer = new byte[length - tailStart];
        stream.Seek(tailStart, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static long ScanAllForLastSeq(FileStream stream)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var last = -1L;
        using (var reader = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true))
        {
            while (reader.ReadLine() is { } line)
            {
                try
                {
                    last = Math.Max(last, HistoryJson.Deserialize(line).Seq);
                }
                catch (System.Text.Json.JsonException)
                {
                    // See RepairTail.
                }
            }
        }

        stream.Seek(0, SeekOrigin.End);
        return last;
    }
}
