using Microsoft.Extensions.Logging;

namespace Orchestrator.Cluster.Transfer;

/// <summary>Settings of a source-side <see cref="StateTransferSender"/>.</summary>
public sealed class StateTransferSenderOptions
{
    /// <summary>Largest Data frame payload; each chunk is read from the source straight into pipe memory.</summary>
    public int ChunkSize { get; init; } = 1 << 20;

    /// <summary>
    /// Where the transfer's pipes take their segments; <see cref="TransferBuffers.Default"/>, bounded, unless a test
    /// counts its own.
    /// </summary>
    public System.Buffers.MemoryPool<byte> BufferPool { get; init; } = TransferBuffers.Default;

    /// <summary>Longest wait to establish the TCP connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest wait for any single step: the handshake answer, one source read, one socket write, a segment's Ack.
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a side that gives up spends telling the peer why (its Abort, Refused or failed Ack) and reading the
    /// peer's own reason; best effort, the peer may be gone. Positive and finite.
    /// </summary>
    public TimeSpan FarewellTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The W3C <c>traceparent</c> of the step that opens the stream, sent in the Hello: the target's span of the
    /// stream becomes its child, so one migration's trace shows both ends. Null: none.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>Bandwidth cap in payload bytes per second (the domain's bandwidth policy); null = uncapped.</summary>
    public long? BandwidthLimit { get; init; }

    /// <summary>Token-bucket burst for <see cref="BandwidthLimit"/>; defaults to one chunk.</summary>
    public long? BurstBytes { get; init; }

    /// <summary>Clock for timeouts, the bandwidth cap and elapsed time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logger for failures; none by default.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Mutual TLS: the source presents this identity's certificate and accepts only a target whose certificate chains
    /// to its CA; null = plaintext (a node configured with <c>tls.mode = off</c>).
    /// </summary>
    public Security.TlsIdentity? Tls { get; init; }

    /// <summary>
    /// Fault injection for tests and chaos runs: flip the byte at this payload offset on the wire, after the
    /// sender hashed it, so the receiver's checksum differs. Null (the default) in production.
    /// </summary>
    public long? CorruptByteAtOffset { get; init; }

    internal void Validate()
    {
        if (ChunkSize < 1 || ChunkSize > StateStreamProtocol.MaxDataLength)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, $"ChunkSize must be 1..{StateStreamProtocol.MaxDataLength}");
        }

        StateTransferListenerOptions.ValidateTimeout(ConnectTimeout, nameof(ConnectTimeout));
        StateTransferListenerOptions.ValidateTimeout(IdleTimeout, nameof(IdleTimeout));
        StateTransferListenerOptions.ValidateFinite(FarewellTimeout, nameof(FarewellTimeout));
        if (BandwidthLimit is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BandwidthLimit), BandwidthLimit, "BandwidthLimit must be positive or null");
        }

        if (BurstBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BurstBytes), BurstBytes, "BurstBytes must be positive or null");
        }
    }
}
