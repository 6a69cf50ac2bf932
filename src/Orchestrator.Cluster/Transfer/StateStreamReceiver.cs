using System.IO.Hashing;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// The target side of one accepted connection: after the Hello it answers Accepted, hands every Data byte to the
/// sink in order (straight from pipe memory, no copy), checks each End against its own count and XxHash128, and
/// answers each End with an Ack. Any failure it can explain is sent back (a failure Ack, or an Abort for timeouts
/// and disposal) before the connection closes, so the source learns the reason.
/// </summary>
internal sealed class StateStreamReceiver
{
    private readonly Socket _socket;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _sink;
    private readonly StateTransferListenerOptions _options;
    private readonly ILogger _logger;
    private readonly string _migrationId;
    private readonly CancellationToken _disposing;
    private readonly XxHash128 _hash = new();
    private long _started;
    private long _total;
    private int _segments;

    public StateStreamReceiver(
        Socket socket,
        PipeReader reader,
        PipeWriter writer,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        StateTransferListenerOptions options,
        ILogger logger,
        string migrationId,
        CancellationToken disposing)
    {
        _socket = socket;
        _reader = reader;
        _writer = writer;
        _sink = sink;
        _options = options;
        _logger = logger;
        _migrationId = migrationId;
        _disposing = disposing;
    }

    public async Task<StateTransferResult> RunAsync()
    {
        var time = _options.TimeProvider;
        _started = time.GetTimestamp();
        using var idle = new IdleDeadline(_options.IdleTimeout, time, _disposing);
        try
        {
            StateStreamProtocol.WriteEmpty(_writer, FrameType.Accepted);
            await StateStreamProtocol.FlushAsync(_writer, idle.Arm()).ConfigureAwait(false);
            while (true)
            {
                var header = await StateStreamProtocol.ReadHeaderAsync(_reader, idle.Arm()).ConfigureAwait(false);
                if (header is not { } frame)
                {
                    return Result(StateTransferOutcome.Truncated, "the sender closed the connection before the last End");
                }

                switch (frame.Type)
                {
                    case FrameType.Data when frame.Length <= StateStreamProtocol.MaxDataLength:
                        var failure = await ReceiveDataAsync(frame.Length, idle).ConfigureAwait(false);
                        if (failure is not null)
                        {
                            return failure;
                        }

                        break;

                    case FrameType.End when frame.Length == StateStreamProtocol.EndLength:
                        var end = await StateStreamProtocol.ReadPayloadAsync(_reader, frame.Length, idle.Arm()).ConfigureAwait(false);
                        if (!StateStreamProtocol.TryParseEnd(end, out var sentBytes, out var sentChecksum, out var last))
                        {
                            return await FailAsync(FrameType.Ack, StateTransferOutcome.ProtocolError, "malformed End frame", idle).ConfigureAwait(false);
                        }

                        _segments++;
                        var verdict = await VerifySegmentAsync(sentBytes, sentChecksum, idle).ConfigureAwait(false);
                        if (verdict is not null)
                        {
                            return verdict;
                        }

                        if (last)
                        {
                            return Result(StateTransferOutcome.Ok, null);
                        }

                        break;

                    case FrameType.Abort when frame.Length <= StateStreamProtocol.MaxControlLength:
                        var abort = await StateStreamProtocol.ReadPayloadAsync(_reader, frame.Length, idle.Arm()).ConfigureAwait(false);
                        _ = StateStreamProtocol.TryParseReason(abort, out var code, out var why);
                        return Result(StateTransferOutcome.Aborted, $"the sender aborted ({(StateTransferOutcome)code}): {why}");

                    default:
                        return await FailAsync(
                            FrameType.Ack,
                            StateTransferOutcome.ProtocolError,
                            $"unexpected {frame.Type} frame of {frame.Length} bytes",
                            idle).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsExpired)
        {
            return await FailAsync(
                FrameType.Abort,
                StateTransferOutcome.IdleTimeout,
                $"no data from the sender within {_options.IdleTimeout}",
                idle: null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            return await FailAsync(FrameType.Abort, StateTransferOutcome.Cancelled, "the target listener was disposed", idle: null).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            return Result(StateTransferOutcome.Truncated, $"the connection broke before the last End: {ex.Message}");
        }
    }

    /// <summary>Streams one Data payload into the sink; answers a failure result or null when all went in.</summary>
    private async ValueTask<StateTransferResult?> ReceiveDataAsync(int length, IdleDeadline idle)
    {
        long remaining = length;
        while (remaining > 0)
        {
            var read = await _reader.ReadAsync(idle.Arm()).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.IsEmpty && (read.IsCompleted || read.IsCanceled))
            {
                return Result(StateTransferOutcome.Truncated, $"the connection ended {remaining} bytes into a Data frame");
            }

            var take = buffer.Slice(0, Math.Min(remaining, buffer.Length));
            foreach (var memory in take)
            {
                _hash.Append(memory.Span);
                try
                {
                    // The sink sees pipe memory that is reused after AdvanceTo: it must copy what it keeps.
                    await _sink(memory, idle.Arm()).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (idle.IsExpired)
                {
                    return await FailAsync(FrameType.Ack, StateTransferOutcome.IdleTimeout, $"a sink write took longer than {_options.IdleTimeout}", idle: null).ConfigureAwait(false);
                }
                catch (Exception ex) when (!_disposing.IsCancellationRequested)
                {
                    _logger.LogWarning(ex, "[{MigrationId}] state-stream sink failed at byte {Offset}", _migrationId, _total);
                    return await FailAsync(FrameType.Ack, StateTransferOutcome.SinkFailed, $"the target sink failed: {ex.Message}", idle).ConfigureAwait(false);
                }

                _total += memory.Length;
            }

            remaining -= take.Length;
            _reader.AdvanceTo(take.End);
        }

        return null;
    }

    private async ValueTask<StateTransferResult?> VerifySegmentAsync(long sentBytes, UInt128 sentChecksum, IdleDeadline idle)
    {
        var checksum = _hash.GetCurrentHashAsUInt128();
        if (sentBytes != _total)
        {
            return await FailAsync(FrameType.Ack, StateTransferOutcome.LengthMismatch, $"the sender announced {sentBytes} bytes, the target received {_total}", idle).ConfigureAwait(false);
        }

        if (sentChecksum != checksum)
        {
            return await FailAsync(
                FrameType.Ack,
                StateTransferOutcome.ChecksumMismatch,
                $"checksum mismatch after {_total} bytes: sender {sentChecksum:x32}, target {checksum:x32}",
                idle).ConfigureAwait(false);
        }

        StateStreamProtocol.WriteAck(_writer, StateTransferOutcome.Ok, _total, checksum, null);
        await StateStreamProtocol.FlushAsync(_writer, idle.Arm()).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Tells the sender why the transfer failed, then closes gracefully: our FIN goes out after the reason and we
    /// keep reading (discarding) briefly, because closing with unread bytes sends an RST that can destroy the
    /// reason before the sender reads it.
    /// </summary>
    private async ValueTask<StateTransferResult> FailAsync(FrameType frame, StateTransferOutcome outcome, string detail, IdleDeadline? idle)
    {
        var result = Result(outcome, detail);
        _logger.LogWarning("[{MigrationId}] state stream failed after {Bytes} bytes: {Outcome}: {Detail}", _migrationId, _total, outcome, detail);
        using var linger = new CancellationTokenSource(_options.FarewellTimeout, _options.TimeProvider);
        try
        {
            if (frame == FrameType.Ack)
            {
                StateStreamProtocol.WriteAck(_writer, outcome, _total, _hash.GetCurrentHashAsUInt128(), detail);
            }
            else
            {
                StateStreamProtocol.WriteReason(_writer, FrameType.Abort, (byte)outcome, detail);
            }

            await StateStreamProtocol.FlushAsync(_writer, linger.Token).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
            if (idle is not null)
            {
                // Only drain when the reader is healthy (a cancelled read leaves it unusable).
                await StateStreamProtocol.DrainAsync(_reader, linger.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Best effort: the sender may already be gone.
        }

        return result;
    }

    private StateTransferResult Result(StateTransferOutcome outcome, string? detail) =>
        new(outcome, detail, _total, _hash.GetCurrentHashAsUInt128(), _options.TimeProvider.GetElapsedTime(_started), _segments);
}
