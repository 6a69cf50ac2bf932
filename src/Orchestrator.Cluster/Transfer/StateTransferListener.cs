using System.Buffers.Text;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Cluster.Tracing;

namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// Target side of the PF→PF state stream for ONE migration. <see cref="Start"/> binds a TCP port and makes a
/// one-time token; the PF actor hands <see cref="Offer"/> to the coordinator, which passes it to the source. The
/// listener accepts connections until one presents a Hello with the right token, migration id and epoch within
/// the handshake timeout; every other connection gets a Refused frame with the reason and is closed (counted in
/// <see cref="RefusedConnections"/>, logged). The token is single-use: once a sender was accepted, even the
/// right token is refused, including after that sender failed (the coordinator opens a new listener to retry).
/// The accepted stream's bytes go, in order, to the sink; <see cref="Completion"/> yields the verified result.
/// Dispose closes the port and cancels a transfer in progress.
/// </summary>
public sealed class StateTransferListener : IAsyncDisposable
{
    private readonly Socket _listenSocket;
    private readonly StateTransferListenerOptions _options;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _sink;
    private readonly ILogger _logger;
    private readonly byte[] _token;
    private readonly string _migrationId;
    private readonly CancellationTokenSource _disposing = new();
    private readonly TaskCompletionSource<StateTransferResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private int _claimed;
    private string? _traceParent; // of the sender's step, from the accepted Hello
    private int _pending;
    private int _refused;
    private int _disposed;

    private StateTransferListener(
        string migrationId,
        long epoch,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        StateTransferListenerOptions options)
    {
        _options = options;
        _migrationId = migrationId;
        _sink = sink;
        _logger = options.Logger ?? NullLogger.Instance;
        // 256 bits from the OS CSPRNG, base64url so it is a plain string in the offer message.
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _token = Encoding.UTF8.GetBytes(token);
        _listenSocket = Bind(options);

        LocalEndPoint = (IPEndPoint)_listenSocket.LocalEndPoint!;
        Offer = new StateTransferOffer(options.AdvertisedHost ?? LocalEndPoint.Address.ToString(), LocalEndPoint.Port, token, migrationId, epoch);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>A listening socket on the configured port, or the first free one of the configured range.</summary>
    private static Socket Bind(StateTransferListenerOptions options)
    {
        for (var port = options.Port; ; port++)
        {
            var socket = new Socket(options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(options.BindAddress, port));
                socket.Listen(16);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && port < (options.LastPort ?? options.Port))
            {
                socket.Dispose(); // taken (another migration's stream, or another program): the next one
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>Endpoint and token to announce to the source (through the coordinator).</summary>
    public StateTransferOffer Offer { get; }

    /// <summary>The bound endpoint (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections refused so far (no Hello, wrong token, reused token, wrong migration, …).</summary>
    public int RefusedConnections => Volatile.Read(ref _refused);

    /// <summary>
    /// The accepted transfer's result: <see cref="StateTransferOutcome.Ok"/> once the last segment is verified,
    /// a failure otherwise, <see cref="StateTransferOutcome.Cancelled"/> when disposed first. Never faults.
    /// </summary>
    public Task<StateTransferResult> Completion => _completion.Task;

    /// <summary>How the accepted stream came in: <c>clear text</c>, or the TLS version and the peer's certificate subject.</summary>
    public string? Security { get; private set; }

    /// <summary>Binds a listener for one migration and starts accepting.</summary>
    /// <param name="migrationId">Migration served; a Hello for another one is refused.</param>
    /// <param name="epoch">Epoch served; a Hello from another epoch is refused.</param>
    /// <param name="sink">
    /// Receives the payload in order (in production the target VF's resuming <c>IVfioDataStream.WriteAsync</c>).
    /// The memory is only valid until the returned task completes. An exception fails the transfer with
    /// <see cref="StateTransferOutcome.SinkFailed"/> and is reported to the sender.
    /// </param>
    /// <param name="options">Settings; defaults bind 127.0.0.1 on an OS-chosen port.</param>
    /// <exception cref="SocketException">The address or port cannot be bound.</exception>
    public static StateTransferListener Start(
        string migrationId,
        long epoch,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        StateTransferListenerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(migrationId);
        ArgumentNullException.ThrowIfNull(sink);
        options ??= new StateTransferListenerOptions();
        options.Validate();
        return new StateTransferListener(migrationId, epoch, sink, options);
    }

    /// <summary>Closes the port, cancels a transfer in progress and waits for the connections to close.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        _listenSocket.Dispose();
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll(connections.Append(_acceptLoop)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Connections report through Completion; an error while closing changes nothing.
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug(ex, "[{MigrationId}] state-stream connection ended with an error on dispose", _migrationId);
            }
        }

        _completion.TrySetResult(new StateTransferResult(
            StateTransferOutcome.Cancelled, "the target listener was disposed before a transfer completed", 0, 0, TimeSpan.Zero, 0));
        _disposing.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        // Yield so the constructor returns before the first accept completes.
        await Task.Yield();
        while (!_disposing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listenSocket.AcceptAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _disposing.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning(ex, "[{MigrationId}] state-stream accept failed", _migrationId);
                continue;
            }

            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(HandleConnectionAsync(client));
            }
        }
    }

    private async Task HandleConnectionAsync(Socket client)
    {
        await Task.Yield();
        var inHandshake = true;
        var accepted = false;
        var pending = Interlocked.Increment(ref _pending);
        var remote = client.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            client.NoDelay = true;
            var stream = await SecureAsync(client, remote).ConfigureAwait(false);
            if (stream is null)
            {
                return;
            }

            await using (stream.ConfigureAwait(false))
            {
                var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(
                    pool: _options.BufferPool, bufferSize: _options.BufferSize,
                    minimumReadSize: Math.Min(_options.BufferSize, 256 * 1024), leaveOpen: true));
                var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(pool: _options.BufferPool, leaveOpen: true));
                var (refusal, detail) = pending > _options.MaxPendingHandshakes
                    ? (StateTransferRefusal.TooManyPending, $"more than {_options.MaxPendingHandshakes} connections in the handshake")
                    : await HandshakeAsync(reader).ConfigureAwait(false);
                Interlocked.Decrement(ref _pending);
                inHandshake = false;
                if (refusal != StateTransferRefusal.None)
                {
                    await RefuseAsync(client, reader, writer, remote, refusal, detail).ConfigureAwait(false);
                    return;
                }

                accepted = true;
                Security = stream is SslStream ssl ? $"{ssl.SslProtocol}, peer {ssl.RemoteCertificate?.Subject}" : "clear text";

                if (_logger.IsEnabled(LogLevel.Information))
                {
                    _logger.LogInformation("[{MigrationId}] state stream accepted from {Remote} over {Security}", _migrationId, remote, Security);
                }

                // The target's span of the stream, a child of the sender's step when the Hello carried its context.
                var span = MigrationId.TryParse(_migrationId, null, out var migration)
                    ? MigrationTracing.Start("state-stream receive", migration, Epoch.Of(Offer.Epoch), _traceParent, ActivityKind.Server)
                    : null;
                StateTransferResult? received = null;
                try
                {
                    var receiver = new StateStreamReceiver(client, reader, writer, _sink, _options, _logger, _migrationId, _disposing.Token);
                    received = await receiver.RunAsync().ConfigureAwait(false);
                }
                finally
                {
                    span?.SetTag(MigrationTracing.BytesAttribute, received?.Bytes ?? 0);
                    span?.SetTag(MigrationTracing.OutcomeAttribute, received?.Outcome.ToString() ?? "error");
                    MigrationTracing.End(span, received is null ? "the receiver failed" : received.IsOk ? null : $"{received.Outcome}: {received.Detail}");
                }

                var result = received;
                if (result.IsOk && _logger.IsEnabled(LogLevel.Information))
                {
                    _logger.LogInformation(
                        "[{MigrationId}] state stream received {Bytes} bytes in {Segments} segment(s), checksum {Checksum}, {Elapsed}",
                        _migrationId, result.Bytes, result.Segments, result.ChecksumHex, result.Elapsed);
                }

                _completion.TrySetResult(result);
            }
        }
        catch (Exception ex)
        {
            if (accepted)
            {
                // The receiver turns every failure it knows into a result; this is one it did not expect, and the
                // caller must not wait for a Completion that would otherwise come only at dispose.
                _logger.LogError(ex, "[{MigrationId}] state stream from {Remote} failed unexpectedly", _migrationId, remote);
                _completion.TrySetResult(new StateTransferResult(
                    StateTransferOutcome.ConnectionLost, $"unexpected receiver error: {ex.Message}", 0, 0, TimeSpan.Zero, 0));
            }
            else if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug(ex, "[{MigrationId}] state-stream connection from {Remote} ended with an error", _migrationId, remote);
            }
        }
        finally
        {
            if (inHandshake)
            {
                Interlocked.Decrement(ref _pending);
            }

            client.Dispose();
        }
    }

    /// <summary>
    /// The stream to read from: the socket's, or over TLS the authenticated one, whose client certificate chains to the
    /// CA (null, after a log line, when the handshake failed: the peer is not a node of this cluster).
    /// </summary>
    private async Task<Stream?> SecureAsync(Socket client, string remote)
    {
        var network = new NetworkStream(client, ownsSocket: true);
        if (_options.Tls is not { } tls)
        {
            return network;
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _disposing.Token);
        try
        {
            await ssl.AuthenticateAsServerAsync(tls.ServerOptions(), linked.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            Interlocked.Increment(ref _refused);
            _logger.LogWarning("[{MigrationId}] state stream from {Remote} refused: {Refusal} ({Reason})", _migrationId, remote, StateTransferRefusal.UntrustedPeer, ex.GetBaseException().Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    private async Task<(StateTransferRefusal Refusal, string Detail)> HandshakeAsync(PipeReader reader)
    {
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _disposing.Token);
        try
        {
            var header = await StateStreamProtocol.ReadHeaderAsync(reader, linked.Token).ConfigureAwait(false);
            if (header is not { } frame)
            {
                return (StateTransferRefusal.ProtocolError, "the connection closed before a Hello");
            }

            if (frame.Type != FrameType.Hello || frame.Length > StateStreamProtocol.MaxHelloLength)
            {
                return (StateTransferRefusal.ProtocolError, $"the first frame is {frame.Type} of {frame.Length} bytes, not a Hello");
            }

            var payload = await StateStreamProtocol.ReadPayloadAsync(reader, frame.Length, linked.Token).ConfigureAwait(false);
            if (!StateStreamProtocol.TryParseHello(payload, out var hello))
            {
                return (StateTransferRefusal.ProtocolError, $"malformed Hello or protocol version other than {StateStreamProtocol.Version}");
            }

            // Constant-time so the comparison does not leak how much of a guessed token was right.
            if (!CryptographicOperations.FixedTimeEquals(hello.Token, _token))
            {
                return (StateTransferRefusal.BadToken, "wrong token");
            }

            if (hello.MigrationId != Offer.MigrationId || hello.Epoch != Offer.Epoch)
            {
                return (StateTransferRefusal.WrongMigration, $"Hello for {hello.MigrationId}#{hello.Epoch}, this listener serves {Offer.MigrationId}#{Offer.Epoch}");
            }

            if (Interlocked.CompareExchange(ref _claimed, 1, 0) != 0)
            {
                return (StateTransferRefusal.TokenAlreadyUsed, "the token was already used");
            }

            _traceParent = hello.TraceParent;
            return (StateTransferRefusal.None, string.Empty);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_disposing.IsCancellationRequested)
        {
            return (StateTransferRefusal.HandshakeTimeout, $"no Hello within {_options.HandshakeTimeout}");
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException)
        {
            return (StateTransferRefusal.ProtocolError, $"the connection broke during the handshake: {ex.Message}");
        }
    }

    private async Task RefuseAsync(Socket client, PipeReader reader, PipeWriter writer, string remote, StateTransferRefusal refusal, string detail)
    {
        Interlocked.Increment(ref _refused);
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            _logger.LogWarning(
                "[{MigrationId}] refused state-stream connection from {Remote}: {Refusal}: {Detail}", _migrationId, remote, refusal, detail);
        }

        using var timeout = new CancellationTokenSource(_options.FarewellTimeout, _options.TimeProvider);
        try
        {
            StateStreamProtocol.WriteReason(writer, FrameType.Refused, (byte)refusal, detail);
            await writer.FlushAsync(timeout.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
            if (refusal != StateTransferRefusal.HandshakeTimeout)
            {
                // Read what the peer already sent: closing with unread bytes resets the connection, and the reset
                // may destroy the Refused frame before the peer reads it. (After a timed-out read the reader is
                // not reusable, and a silent peer has nothing to drain anyway.)
                await StateStreamProtocol.DrainAsync(reader, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Best effort: the peer may already be gone.
        }
    }
}
