using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using Orchestrator.Cluster.Transfer;
using Orchestrator.Testing;
using Xunit.Abstractions;

namespace Orchestrator.Cluster.Tests.Transfer;

public sealed class StateTransferTests(ITestOutputHelper output)
{
    private const int MiB = 1 << 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Streams_256_MiB_with_matching_count_checksum_and_content()
    {
        const long length = 256L * MiB;
        await WarmUpAsync();
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync);

        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(length)).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        output.WriteLine($"256 MiB in {sent.Elapsed.TotalMilliseconds:F0} ms: {sent.MebibytesPerSecond:F0} MiB/s (sender), {received.MebibytesPerSecond:F0} MiB/s (target)");
        Assert.Equal(StateTransferOutcome.Ok, sent.Outcome);
        Assert.Equal(StateTransferOutcome.Ok, received.Outcome);
        Assert.Equal(length, sent.Bytes);
        Assert.Equal(length, received.Bytes);
        Assert.Equal(length, sink.Received);
        Assert.Null(sink.FirstMismatch);
        var expected = ExpectedChecksum(length);
        Assert.Equal(expected, sent.Checksum);
        Assert.Equal(expected, received.Checksum);
        Assert.Equal(1, received.Segments);
        Assert.Equal(0, listener.RefusedConnections);
    }

    [Fact]
    public async Task Connection_without_the_token_is_refused_and_the_real_sender_still_succeeds()
    {
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync, new StateTransferListenerOptions
        {
            HandshakeTimeout = TimeSpan.FromSeconds(2), // long enough for the intruder's frame on a loaded machine
        });

        // An intruder that skips the Hello and pushes data straight away.
        using (var intruder = await ConnectRawAsync(listener.Offer))
        {
            var header = new byte[8];
            header[0] = 3; // Data
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 4);
            await intruder.SendAsync(header.Concat(new byte[4]).ToArray());
            var (type, payload) = await ReadRawFrameAsync(intruder);
            Assert.Equal(6, type); // Refused
            Assert.Equal((byte)StateTransferRefusal.ProtocolError, payload[0]);
        }

        // A silent one that never says Hello.
        using (var silent = await ConnectRawAsync(listener.Offer))
        {
            var (type, payload) = await ReadRawFrameAsync(silent);
            Assert.Equal(6, type);
            Assert.Equal((byte)StateTransferRefusal.HandshakeTimeout, payload[0]);
        }

        Assert.Equal(2, listener.RefusedConnections);
        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(3 * MiB + 17)).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);
        Assert.True(sent.IsOk, sent.Detail);
        Assert.True(received.IsOk, received.Detail);
        Assert.Null(sink.FirstMismatch);
        Assert.Equal(3 * MiB + 17, sink.Received);
    }

    [Fact]
    public async Task A_port_range_binds_the_first_free_port_and_fails_when_all_are_taken()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen(1);
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var sink = new PatternSink();

        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync, new StateTransferListenerOptions { Port = port, LastPort = port + 20 });

        Assert.InRange(listener.Offer.Port, port + 1, port + 20);
        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(MiB)).WaitAsync(Patience);
        Assert.True(sent.IsOk, sent.Detail);
        var full = Assert.Throws<SocketException>(() => StateTransferListener.Start("m-2", 1, sink.WriteAsync, new StateTransferListenerOptions { Port = port, LastPort = port }));
        Assert.Equal(SocketError.AddressAlreadyInUse, full.SocketErrorCode);
    }

    [Fact]
    public async Task Wrong_token_is_refused_then_the_right_one_is_accepted()
    {
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync);
        var forged = listener.Offer with { Token = listener.Offer.Token[..^1] + (listener.Offer.Token[^1] == 'A' ? 'B' : 'A') };

        var refused = await Assert.ThrowsAsync<StateTransferException>(() => StateTransferSender.ConnectAsync(forged)).WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.Refused, refused.Outcome);
        Assert.Equal(StateTransferRefusal.BadToken, refused.Refusal);
        Assert.Equal(1, listener.RefusedConnections);
        Assert.False(listener.Completion.IsCompleted);
        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(MiB)).WaitAsync(Patience);
        Assert.True(sent.IsOk, sent.Detail);
        Assert.True((await listener.Completion.WaitAsync(Patience)).IsOk);
    }

    [Fact]
    public async Task The_wire_format_is_the_documented_one()
    {
        // Hand-built frames, byte by byte as README.md and StateStreamProtocol describe them.
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-42", 9, sink.WriteAsync);
        using var raw = await ConnectRawAsync(listener.Offer);
        await raw.SendAsync(HelloFrame(listener.Offer));
        var (acceptedType, accepted) = await ReadRawFrameAsync(raw);
        Assert.Equal(2, acceptedType);
        Assert.Empty(accepted);

        var data = new byte[3];
        StatePattern.Fill(0, data);
        var checksum = XxHash128.HashToUInt128(data);
        await raw.SendAsync(Frame(3, data).Concat(EndFrame(3, checksum)).ToArray());
        var (ackType, ack) = await ReadRawFrameAsync(raw);

        Assert.Equal(5, ackType);
        Assert.Equal(0, ack[0]);
        Assert.Equal(3, BitConverter.ToInt64(ack, 1));
        Assert.Equal(checksum, new UInt128(BitConverter.ToUInt64(ack, 17), BitConverter.ToUInt64(ack, 9)));
        var received = await listener.Completion.WaitAsync(Patience);
        Assert.True(received.IsOk, received.Detail);
        Assert.Equal(3, sink.Received);
        Assert.Null(sink.FirstMismatch);
    }

    [Fact]
    public async Task A_length_that_differs_from_the_end_frame_is_reported()
    {
        await using var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask);
        using var raw = await ConnectRawAsync(listener.Offer);
        await raw.SendAsync(HelloFrame(listener.Offer));
        _ = await ReadRawFrameAsync(raw);
        var data = new byte[] { 1, 2, 3 };

        // The End claims a fourth byte that never came.
        await raw.SendAsync(Frame(3, data).Concat(EndFrame(4, XxHash128.HashToUInt128(data))).ToArray());
        var (ackType, ack) = await ReadRawFrameAsync(raw);

        Assert.Equal(5, ackType);
        Assert.Equal((byte)StateTransferOutcome.LengthMismatch, ack[0]);
        var received = await listener.Completion.WaitAsync(Patience);
        Assert.Equal(StateTransferOutcome.LengthMismatch, received.Outcome);
        Assert.Equal(3, received.Bytes);
    }

    [Fact]
    public async Task An_unknown_frame_after_the_handshake_is_a_protocol_error()
    {
        await using var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask);
        using var raw = await ConnectRawAsync(listener.Offer);
        await raw.SendAsync(HelloFrame(listener.Offer));
        _ = await ReadRawFrameAsync(raw);

        await raw.SendAsync(Frame(99, [0, 0]));
        var (ackType, ack) = await ReadRawFrameAsync(raw);

        Assert.Equal(5, ackType);
        Assert.Equal((byte)StateTransferOutcome.ProtocolError, ack[0]);
        Assert.Equal(StateTransferOutcome.ProtocolError, (await listener.Completion.WaitAsync(Patience)).Outcome);
    }

    [Fact]
    public async Task Refusals_are_logged_with_the_migration_and_the_reason()
    {
        var logger = new ListLogger();
        await using var listener = StateTransferListener.Start("m-77", 1, (_, _) => ValueTask.CompletedTask, new StateTransferListenerOptions
        {
            Logger = logger,
        });

        await Assert.ThrowsAsync<StateTransferException>(() => StateTransferSender.ConnectAsync(listener.Offer with { Token = "guess" })).WaitAsync(Patience);

        var refusal = Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("m-77", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(StateTransferRefusal.BadToken), refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(listener.Offer.Token, string.Concat(logger.Entries.Select(e => e.Message)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hello_from_another_epoch_is_refused()
    {
        await using var listener = StateTransferListener.Start("m-1", 7, (_, _) => ValueTask.CompletedTask);

        var stale = await StateTransferSender.SendAsync(listener.Offer with { Epoch = 6 }, StatePattern.Source(MiB)).WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.Refused, stale.Outcome);
        Assert.Contains(nameof(StateTransferRefusal.WrongMigration), stale.Detail, StringComparison.Ordinal);
        Assert.Equal(1, listener.RefusedConnections);
    }

    [Fact]
    public async Task Token_is_single_use()
    {
        await using var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask);
        var first = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(MiB)).WaitAsync(Patience);
        Assert.True(first.IsOk, first.Detail);

        var replay = await Assert.ThrowsAsync<StateTransferException>(() => StateTransferSender.ConnectAsync(listener.Offer)).WaitAsync(Patience);

        Assert.Equal(StateTransferRefusal.TokenAlreadyUsed, replay.Refusal);
        Assert.Equal(1, listener.RefusedConnections);
        Assert.True((await listener.Completion.WaitAsync(Patience)).IsOk);
    }

    [Fact]
    public async Task A_byte_flipped_in_flight_fails_the_checksum_on_both_sides()
    {
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync);

        var sent = await StateTransferSender.SendAsync(
            listener.Offer, StatePattern.Source(4 * MiB), new StateTransferSenderOptions { CorruptByteAtOffset = 1_234_567 }).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.ChecksumMismatch, received.Outcome);
        Assert.Equal(StateTransferOutcome.ChecksumMismatch, sent.Outcome);
        Assert.NotEqual(sent.Checksum, received.Checksum);
        Assert.Equal(4 * MiB, received.Bytes);
        Assert.Equal(1_234_567, sink.FirstMismatch);
    }

    [Fact]
    public async Task A_stalled_sender_hits_the_idle_timeout_on_both_sides()
    {
        await using var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask, new StateTransferListenerOptions
        {
            IdleTimeout = TimeSpan.FromMilliseconds(300),
        });
        var firstChunkSent = false;

        var sent = await StateTransferSender.SendAsync(listener.Offer, async (buffer, ct) =>
        {
            if (!firstChunkSent)
            {
                firstChunkSent = true;
                return 64 * 1024;
            }

            // A source VF that stops producing state: only cancellation gets us out.
            await StallUntilCancelledAsync(ct);
            return 0;
        }).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.IdleTimeout, received.Outcome);
        Assert.Equal(64 * 1024, received.Bytes);
        Assert.Equal(StateTransferOutcome.IdleTimeout, sent.Outcome);
        Assert.Contains("target aborted", sent.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_failure_is_reported_to_the_sender()
    {
        long written = 0;
        await using var listener = StateTransferListener.Start("m-1", 1, (data, _) =>
        {
            written += data.Length;
            return written > 2 * MiB
                ? throw new InvalidOperationException("match data rejected by the target VF")
                : ValueTask.CompletedTask;
        });

        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(64 * MiB)).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.SinkFailed, received.Outcome);
        Assert.Equal(StateTransferOutcome.SinkFailed, sent.Outcome);
        Assert.Contains("match data rejected", sent.Detail, StringComparison.Ordinal);
        Assert.True(sent.Bytes < 64 * MiB, $"the sender stopped early, not after {sent.Bytes} bytes");
    }

    [Fact]
    public async Task A_source_failure_aborts_the_target()
    {
        await using var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask);
        var calls = 0;

        var sent = await StateTransferSender.SendAsync(listener.Offer, (buffer, _) => ++calls < 3
            ? ValueTask.FromResult(buffer.Length)
            : throw new IOException("ENODEV: saving stream is dead")).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.True(sent.Outcome == StateTransferOutcome.SourceFailed, $"sender: {sent.Outcome}: {sent.Detail}");
        Assert.True(received.Outcome == StateTransferOutcome.Aborted, $"target: {received.Outcome}: {received.Detail}");
        Assert.Contains("ENODEV", received.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_segments_share_one_connection_with_a_cumulative_checksum()
    {
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync);
        await using var sender = await StateTransferSender.ConnectAsync(listener.Offer).WaitAsync(Patience);

        var round1 = await sender.SendSegmentAsync(StatePattern.Source(5 * MiB + 3), isLast: false).WaitAsync(Patience);
        var round2 = await sender.SendSegmentAsync(StatePattern.Source(MiB, start: 5 * MiB + 3), isLast: false).WaitAsync(Patience);
        Assert.False(listener.Completion.IsCompleted);
        var stopCopy = await sender.SendSegmentAsync(StatePattern.Source(7, start: 6 * MiB + 3), isLast: true).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.True(round1.IsOk && round2.IsOk && stopCopy.IsOk, stopCopy.Detail);
        Assert.Equal(5 * MiB + 3, round1.Bytes);
        Assert.Equal(6 * MiB + 10, stopCopy.Bytes);
        Assert.True(received.IsOk, received.Detail);
        Assert.Equal(3, received.Segments);
        Assert.Equal(ExpectedChecksum(6 * MiB + 10), received.Checksum);
        Assert.Null(sink.FirstMismatch);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sender.SendSegmentAsync(StatePattern.Source(1), isLast: true));
    }

    [Fact]
    public async Task A_sender_that_leaves_before_the_last_segment_is_a_truncated_stream()
    {
        await using var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask);
        var sender = await StateTransferSender.ConnectAsync(listener.Offer).WaitAsync(Patience);
        var round1 = await sender.SendSegmentAsync(StatePattern.Source(MiB), isLast: false).WaitAsync(Patience);
        Assert.True(round1.IsOk, round1.Detail);

        await sender.DisposeAsync();
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.Truncated, received.Outcome);
        Assert.Equal(MiB, received.Bytes);
    }

    [Fact]
    public async Task The_bandwidth_cap_paces_the_sender_on_its_clock()
    {
        var time = new SteppingTimeProvider();
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync);
        var options = new StateTransferSenderOptions
        {
            ChunkSize = 256 * 1024,
            BandwidthLimit = MiB,
            BurstBytes = 256 * 1024,
            TimeProvider = time,
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            IdleTimeout = Timeout.InfiniteTimeSpan,
        };

        var send = StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(MiB), options);
        var waits = new List<TimeSpan>();
        while (true)
        {
            var first = await Task.WhenAny(send, time.WhenTimerScheduledAsync()).WaitAsync(Patience);
            if (first == send)
            {
                break;
            }

            waits.Add(time.AdvanceToNextTimer());
        }

        var sent = await send;
        Assert.True(sent.IsOk, sent.Detail);
        // Burst covers the first 256 KiB; each further 256 KiB at 1 MiB/s waits exactly 250 ms.
        Assert.Equal([TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250)], waits);
        Assert.Equal(TimeSpan.FromMilliseconds(750), sent.Elapsed);
        Assert.True((await listener.Completion.WaitAsync(Patience)).IsOk);
        Assert.Null(sink.FirstMismatch);
    }

    [Fact]
    public async Task Disposing_the_listener_frees_the_port_and_ends_its_completion()
    {
        var listener = StateTransferListener.Start("m-1", 1, (_, _) => ValueTask.CompletedTask);
        var port = listener.Offer.Port;
        Assert.NotEqual(0, port);
        Assert.Equal(port, listener.LocalEndPoint.Port);

        await listener.DisposeAsync();

        var cancelled = await listener.Completion.WaitAsync(Patience);
        Assert.Equal(StateTransferOutcome.Cancelled, cancelled.Outcome);
        var lost = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(1)).WaitAsync(Patience);
        Assert.Equal(StateTransferOutcome.ConnectionLost, lost.Outcome);
        using var rebind = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        rebind.Bind(new IPEndPoint(IPAddress.Loopback, port));
        rebind.Listen();
    }

    [Fact]
    public async Task Disposing_the_listener_mid_transfer_cancels_it_on_both_sides()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = StateTransferListener.Start("m-1", 1, async (_, ct) =>
        {
            started.TrySetResult();
            await StallUntilCancelledAsync(ct);
        });
        var send = StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(64 * MiB));
        await started.Task.WaitAsync(Patience);

        await listener.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(StateTransferOutcome.Cancelled, (await listener.Completion.WaitAsync(Patience)).Outcome);
        Assert.Equal(StateTransferOutcome.Cancelled, (await send.WaitAsync(Patience)).Outcome);
    }

    /// <summary>16 MiB first, so the printed figure measures the stream rather than the JIT (as PACKAGES.md did).</summary>
    private static async Task WarmUpAsync()
    {
        await using var listener = StateTransferListener.Start("warm-up", 1, new PatternSink().WriteAsync);
        var warm = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(16 * MiB)).WaitAsync(Patience);
        Assert.True(warm.IsOk, warm.Detail);
    }

    /// <summary>A device that stops answering: completes (cancelled) only when the token fires.</summary>
    private static async Task StallUntilCancelledAsync(CancellationToken cancellationToken)
    {
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = cancellationToken.Register(() => never.TrySetCanceled(cancellationToken));
        await never.Task;
    }

    private static UInt128 ExpectedChecksum(long length)
    {
        var hash = new XxHash128();
        var buffer = new byte[MiB];
        for (long at = 0; at < length; at += MiB)
        {
            var n = (int)Math.Min(MiB, length - at);
            StatePattern.Fill(at, buffer.AsSpan(0, n));
            hash.Append(buffer.AsSpan(0, n));
        }

        return hash.GetCurrentHashAsUInt128();
    }

    private static byte[] HelloFrame(StateTransferOffer offer)
    {
        var token = System.Text.Encoding.UTF8.GetBytes(offer.Token);
        var id = System.Text.Encoding.UTF8.GetBytes(offer.MigrationId);
        var hello = new List<byte> { 1 };
        hello.AddRange(BitConverter.GetBytes(offer.Epoch));
        hello.AddRange(BitConverter.GetBytes((ushort)token.Length));
        hello.AddRange(token);
        hello.AddRange(BitConverter.GetBytes((ushort)id.Length));
        hello.AddRange(id);
        return Frame(1, [.. hello]);
    }

    private static byte[] EndFrame(long total, UInt128 checksum)
    {
        var end = new List<byte>();
        end.AddRange(BitConverter.GetBytes(total));
        end.AddRange(BitConverter.GetBytes((ulong)checksum));
        end.AddRange(BitConverter.GetBytes((ulong)(checksum >> 64)));
        end.Add(1);
        return Frame(4, [.. end]);
    }

    private static byte[] Frame(byte type, byte[] payload)
    {
        var frame = new byte[8 + payload.Length];
        frame[0] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        return frame;
    }

    private static async Task<Socket> ConnectRawAsync(StateTransferOffer offer)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(offer.Host), offer.Port).WaitAsync(Patience);
        return socket;
    }

    private static async Task<(byte Type, byte[] Payload)> ReadRawFrameAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var header = new byte[8];
        await stream.ReadExactlyAsync(header, timeout.Token);
        var payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4))];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        return (header[0], payload);
    }
}
