using System.IO.Hashing;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// Source side of the PF→PF state stream. <see cref="ConnectAsync"/> connects to a <see cref="StateTransferOffer"/>
/// and presents its token; <see cref="SendSegmentAsync"/> then streams what a source yields as Data frames,
/// read straight into pipe memory, followed by an End frame with the running byte count and XxHash128, and
/// waits for the target's Ack. Several segments may share one connection (pre-copy rounds, then the stop-copy
/// remainder with <c>isLast</c>); counts and checksum are cumulative over the connection. A failure reported
/// by the target (checksum, length, sink, idle) stops the current segment at once and is returned, as is a
/// local one (source error, idle timeout), which is also sent to the target as an Abort.
/// </summary>
public sealed class StateTransferSender : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly StateTransferSenderOptions _options;
    private readonly ILogger _logger;
    private readonly string _migrationId;
    private readonly XxHash128 _hash = new();
    private volatile TokenBucket? _bucket;
    private readonly Channel<PeerVerdict> _acks = Channel.CreateUnbounded<PeerVerdict>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _peerFailed = new();
    private readonly CancellationTokenSource _disposing = new();
    private Task _readLoop = Task.CompletedTask;
    private volatile PeerVerdict? _peerFailure;
    private StateTransferResult? _final;
    private long _started;
    private long _total;
    private int _segments;
    private int _busy;
    private int _disposed;

    private StateTransferSender(Socket socket, Stream stream, StateTransferOffer offer, StateTransferSenderOptions options)
    {
        _socket = socket;
        _options = options;
        Offer = offer;
        _migrationId = offer.MigrationId;
        _logger = options.Logger ?? NullLogger.Instance;
        _stream = stream;
        // The writer's segments hold a whole Data frame so the source reads straight into the memory we send.
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(pool: options.BufferPool,
            minimumBufferSize: StateStreamProtocol.HeaderSize + options.ChunkSize, leaveOpen: true));
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(pool: options.BufferPool, bufferSize: 4096, leaveOpen: true));
        if (options.BandwidthLimit is long limit)
        {
            _bucket = new TokenBucket(limit, options.BurstBytes ?? options.ChunkSize, options.TimeProvider);
        }
    }

    /// <summary>The offer this sender is connected to.</summary>
    public StateTransferOffer Offer { get; }

    /// <summary>
    /// Paces what is sent from now on with <paramref name="bucket"/> (null: no cap), as a running migration's policy
    /// changes; other senders may share it so that one cap holds for all of them together. Called between segments.
    /// </summary>
    public void SetBandwidthLimit(TokenBucket? bucket) => _bucket = bucket;

    /// <summary>Payload bytes sent so far on this connection.</summary>
    public long BytesSent => Interlocked.Read(ref _total);

    /// <summary>Connects to the target and completes the handshake.</summary>
    /// <exception cref="StateTransferException">
    /// The connection failed (<see cref="StateTransferOutcome.ConnectionLost"/>), timed out, or the listener
    /// refused it (<see cref="StateTransferOutcome.Refused"/> with <see cref="StateTransferException.Refusal"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<StateTransferSender> ConnectAsync(
        StateTransferOffer offer,
        StateTransferSenderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offer);
        options ??= new StateTransferSenderOptions();
        options.Validate();
        EndPoint endPoint = IPAddress.TryParse(offer.Host, out var address)
            ? new IPEndPoint(address, offer.Port)
            : new DnsEndPoint(offer.Host, offer.Port);
        var socket = address is not null
            ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        StateTransferSender? sender = null;
        try
        {
            socket.NoDelay = true;
            using (var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            {
                try
                {
                    await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new StateTransferException(
                        StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, $"connecting to {offer.Host}:{offer.Port} took longer than {options.ConnectTimeout}");
                }
                catch (SocketException ex)
                {
                    throw new StateTransferException(
                        StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, $"cannot connect to {offer.Host}:{offer.Port}: {ex.SocketErrorCode}", ex);
                }
            }

            sender = new StateTransferSender(socket, await SecureAsync(socket, offer, options, cancellationToken).ConfigureAwait(false), offer, options);
            await sender.HandshakeAsync(cancellationToken).ConfigureAwait(false);
            return sender;
        }
        catch
        {
            if (sender is not null)
            {
                await sender.DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects, sends everything <paramref name="source"/> yields as one last segment, and disposes.</summary>
    /// <returns>The result; connection failures and refusals are results too, never exceptions.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<StateTransferResult> SendAsync(
        StateTransferOffer offer,
        Func<Memory<byte>, CancellationToken, ValueTask<int>> source,
        StateTransferSenderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        StateTransferSender sender;
        try
        {
            sender = await ConnectAsync(offer, options, cancellationToken).ConfigureAwait(false);
        }
        catch (StateTransferException ex)
        {
            return new StateTransferResult(ex.Outcome, ex.Message, 0, 0, TimeSpan.Zero, 0);
        }

        await using (sender.ConfigureAwait(false))
        {
            return await sender.SendSegmentAsync(source, isLast: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Streams one segment: reads <paramref name="source"/> until it returns 0, then sends End and waits for the
    /// target's Ack. One segment at a time; after a failure every later call answers that failure.
    /// </summary>
    /// <param name="source">
    /// Fills the buffer and returns the byte count, 0 at the end of the segment (in production, reads of the source
    /// VF's saving stream). An exception aborts the transfer with <see cref="StateTransferOutcome.SourceFailed"/>.
    /// </param>
    /// <param name="isLast">True for the final segment (stop-copy): the target then completes its result.</param>
    /// <param name="cancellationToken">Cancels the transfer; the target is told with an Abort.</param>
    /// <returns>The segment's result with cumulative counts; <see cref="StateTransferResult.IsOk"/> once acknowledged.</returns>
    /// <exception cref="InvalidOperationException">A segment is already running, or the last one was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<StateTransferResult> SendSegmentAsync(
        Func<Memory<byte>, CancellationToken, ValueTask<int>> source,
        bool isLast,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("a segment is already being sent on this connection");
        }

        try
        {
            if (_final is { } final)
            {
                return final.IsOk ? throw new InvalidOperationException("the last segment was already sent") : final;
            }

            var result = await SendSegmentCoreAsync(source, isLast, cancellationToken).ConfigureAwait(false);
            if (!result.IsOk || isLast)
            {
                _final = result;
            }

            return result;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>The stream to talk over: the socket's, or over TLS the authenticated one (the target's certificate checked).</summary>
    private static async Task<Stream> SecureAsync(Socket socket, StateTransferOffer offer, StateTransferSenderOptions options, CancellationToken cancellationToken)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        if (options.Tls is not { } tls)
        {
            return network;
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await ssl.AuthenticateAsClientAsync(tls.ClientOptions(offer.Host), linked.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new StateTransferException(
                StateTransferOutcome.Refused, StateTransferRefusal.UntrustedPeer,
                $"TLS with {offer.Host}:{offer.Port} failed (its certificate must chain to tls.ca, and it must accept ours): {ex.GetBaseException().Message}", ex);
        }
    }

    /// <summary>Closes the connection. A target that did not get the last End reports a truncated stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        // Close the socket first: completing the writer would otherwise try to flush leftovers to a peer that
        // may no longer read, and block.
        _socket.Dispose();
        try
        {
            await _readLoop.ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
            await _reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The read loop reports through _acks and _peerFailure; nothing is left to report on close.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _peerFailed.Dispose();
        _disposing.Dispose();
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        using var step = new IdleDeadline(_options.IdleTimeout, _options.TimeProvider, cancellationToken);
        try
        {
            StateStreamProtocol.WriteHello(_writer, Offer.Token, Offer.MigrationId, Offer.Epoch, _options.TraceParent);
            await StateStreamProtocol.FlushAsync(_writer, step.Arm()).ConfigureAwait(false);
            var header = await StateStreamProtocol.ReadHeaderAsync(_reader, step.Arm()).ConfigureAwait(false);
            switch (header)
            {
                case null:
                    throw new StateTransferException(StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, "the target closed the connection during the handshake");
                case { Type: FrameType.Accepted, Length: 0 }:
                    break;
                case { Type: FrameType.Refused, Length: <= StateStreamProtocol.MaxControlLength } refused:
                    var payload = await StateStreamProtocol.ReadPayloadAsync(_reader, refused.Length, step.Arm()).ConfigureAwait(false);
                    _ = StateStreamProtocol.TryParseReason(payload, out var code, out var detail);
                    var refusal = (StateTransferRefusal)code;
                    throw new StateTransferException(StateTransferOutcome.Refused, refusal, $"the target refused the state stream: {refusal}: {detail}");
                case var other:
                    throw new StateTransferException(
                        StateTransferOutcome.ProtocolError, StateTransferRefusal.None, $"expected Accepted, got {other.Value.Type} of {other.Value.Length} bytes");
            }
        }
        catch (OperationCanceledException) when (step.IsExpired)
        {
            throw new StateTransferException(StateTransferOutcome.IdleTimeout, StateTransferRefusal.None, $"no answer to Hello within {_options.IdleTimeout}");
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException)
        {
            throw new StateTransferException(StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, $"the connection broke during the handshake: {ex.Message}", ex);
        }

        _started = _options.TimeProvider.GetTimestamp();
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
    }

    private async Task<StateTransferResult> SendSegmentCoreAsync(
        Func<Memory<byte>, CancellationToken, ValueTask<int>> source,
        bool isLast,
        CancellationToken cancellationToken)
    {
        var chunk = _options.ChunkSize;
        using var step = new IdleDeadline(_options.IdleTimeout, _options.TimeProvider, cancellationToken);
        // A failure the target reports (e.g. its sink failed) must stop a source read or a blocked write at once.
        using var onPeerFailure = _peerFailed.Token.UnsafeRegister(static s => ((IdleDeadline)s!).Cancel(), step);
        try
        {
            while (true)
            {
                var frame = _writer.GetMemory(StateStreamProtocol.HeaderSize + chunk);
                var payload = frame.Slice(StateStreamProtocol.HeaderSize, chunk);
                int read;
                try
                {
                    read = await source(payload, step.Arm()).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return await AbortAsync(StateTransferOutcome.SourceFailed, $"the source failed: {ex.Message}", ex).ConfigureAwait(false);
                }

                if (read == 0)
                {
                    break;
                }

                if ((uint)read > (uint)chunk)
                {
                    return await AbortAsync(StateTransferOutcome.SourceFailed, $"the source returned {read} for a {chunk}-byte buffer", null).ConfigureAwait(false);
                }

                var data = payload.Span[..read];
                _hash.Append(data);
                if (_options.CorruptByteAtOffset is long at && at >= _total && at < _total + read)
                {
                    // After hashing: the wire differs from what the sender vouches for, as a bit flip in flight would.
                    data[(int)(at - _total)] ^= 0xFF;
                }

                StateStreamProtocol.WriteHeader(frame.Span, FrameType.Data, read);
                _writer.Advance(StateStreamProtocol.HeaderSize + read);
                Interlocked.Add(ref _total, read);
                if (_bucket?.Reserve(read) is { } wait && wait > TimeSpan.Zero)
                {
                    // Waiting for the bandwidth cap is not a stall: no idle timer while we wait.
                    await Task.Delay(wait, _options.TimeProvider, step.Disarm()).ConfigureAwait(false);
                }

                await StateStreamProtocol.FlushAsync(_writer, step.Arm()).ConfigureAwait(false);
            }

            var checksum = _hash.GetCurrentHashAsUInt128();
            StateStreamProtocol.WriteEnd(_writer, _total, checksum, isLast);
            await StateStreamProtocol.FlushAsync(_writer, step.Arm()).ConfigureAwait(false);
            _segments++;
            var ack = await _acks.Reader.ReadAsync(step.Arm()).ConfigureAwait(false);
            if (ack.Bytes != _total || ack.Checksum != checksum)
            {
                return await AbortAsync(
                    StateTransferOutcome.ChecksumMismatch,
                    $"the target acknowledged {ack.Bytes} bytes / {ack.Checksum:x32}, the sender sent {_total} / {checksum:x32}",
                    null).ConfigureAwait(false);
            }

            return Result(StateTransferOutcome.Ok, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await AbortAsync(StateTransferOutcome.Cancelled, "the sender was cancelled", null).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (_peerFailure is not null || !step.IsExpired)
        {
            return await PeerFailureOrLostAsync("the transfer was stopped").ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return await AbortAsync(StateTransferOutcome.IdleTimeout, $"no progress within {_options.IdleTimeout}", null).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return await PeerFailureOrLostAsync("the target closed the connection before its Ack").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return await PeerFailureOrLostAsync($"the connection broke: {ex.Message}").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads what the target sends after the handshake: Acks (queued for the segment that waits for them) and
    /// failures (recorded, and the running segment cancelled). Ends at the target's close.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var header = await StateStreamProtocol.ReadHeaderAsync(_reader, _disposing.Token).ConfigureAwait(false);
                if (header is not { } frame)
                {
                    return;
                }

                if (frame.Length > StateStreamProtocol.MaxControlLength)
                {
                    Fail(new PeerVerdict(StateTransferOutcome.ProtocolError, $"oversized {frame.Type} frame from the target", 0, 0));
                    return;
                }

                var payload = await StateStreamProtocol.ReadPayloadAsync(_reader, frame.Length, _disposing.Token).ConfigureAwait(false);
                switch (frame.Type)
                {
                    case FrameType.Ack when StateStreamProtocol.TryParseAck(payload, out var outcome, out var bytes, out var checksum, out var detail):
                        var verdict = new PeerVerdict(outcome, detail, bytes, checksum);
                        if (outcome == StateTransferOutcome.Ok)
                        {
                            _acks.Writer.TryWrite(verdict);
                        }
                        else
                        {
                            Fail(verdict);
                        }

                        break;
                    case FrameType.Abort when StateStreamProtocol.TryParseReason(payload, out var code, out var why):
                        Fail(new PeerVerdict((StateTransferOutcome)code, $"the target aborted: {why}", 0, 0));
                        break;
                    default:
                        Fail(new PeerVerdict(StateTransferOutcome.ProtocolError, $"unexpected {frame.Type} frame from the target", 0, 0));
                        return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or EndOfStreamException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone; the segment in progress finds out from the closed channel or its own write.
        }
        finally
        {
            _acks.Writer.TryComplete();
        }
    }

    private void Fail(PeerVerdict verdict)
    {
        // Record first, then cancel: whoever observes the cancellation must find the reason.
        _peerFailure ??= verdict;
        _peerFailed.Cancel();
    }

    private async Task<StateTransferResult> PeerFailureOrLostAsync(string detail)
    {
        // The reason may still be in flight behind a broken write: give the read loop a moment to deliver it.
        if (_peerFailure is null)
        {
            using var grace = new CancellationTokenSource(_options.FarewellTimeout, _options.TimeProvider);
            try
            {
                await _readLoop.WaitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // No reason came; report the broken connection.
            }
        }

        var result = _peerFailure is { } peer
            ? Result(peer.Outcome, peer.Detail)
            : Result(StateTransferOutcome.ConnectionLost, detail);
        LogFailure(result);
        return result;
    }

    private async Task<StateTransferResult> AbortAsync(StateTransferOutcome outcome, string detail, Exception? cause)
    {
        var result = Result(outcome, detail);
        if (cause is not null && _logger.IsEnabled(LogLevel.Warning))
        {
            _logger.LogWarning(cause, "[{MigrationId}] state-stream source failed after {Bytes} bytes", _migrationId, _total);
        }

        LogFailure(result);
        using var timeout = new CancellationTokenSource(_options.FarewellTimeout, _options.TimeProvider);
        try
        {
            StateStreamProtocol.WriteReason(_writer, FrameType.Abort, (byte)outcome, detail);
            await _writer.FlushAsync(timeout.Token).ConfigureAwait(false);
            // A flush only hands the Abort to the kernel, behind whatever data the target's window has not taken yet.
            // A close while a receive is still pending is abortive in .NET on Linux (a RST), and a RST drops what was
            // not sent: the target then reports a truncated stream, not the source's failure. So half-close, and close
            // only once the target, having read the Abort, closed its side (bounded by the farewell timeout).
            _socket.Shutdown(SocketShutdown.Send);
            await _readLoop.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Best effort: the target may already be gone.
        }

        return result;
    }

    private void LogFailure(StateTransferResult result)
    {
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            _logger.LogWarning(
                "[{MigrationId}] state stream to {Host}:{Port} failed after {Bytes} bytes: {Outcome}: {Detail}",
                _migrationId, Offer.Host, Offer.Port, result.Bytes, result.Outcome, result.Detail);
        }
    }

    private StateTransferResult Result(StateTransferOutcome outcome, string? detail) =>
        new(outcome, detail, _total, _hash.GetCurrentHashAsUInt128(), _options.TimeProvider.GetElapsedTime(_started), _segments);
}
