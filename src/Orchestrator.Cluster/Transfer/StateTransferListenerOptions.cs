using System.Net;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Cluster.Transfer;

/// <summary>Settings of a target-side <see cref="StateTransferListener"/>.</summary>
public sealed class StateTransferListenerOptions
{
    /// <summary>Address to bind; loopback by default. The offer carries it as its host.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>
    /// Host the offer tells the source to connect to; defaults to <see cref="BindAddress"/>. Required when binding
    /// a wildcard address (0.0.0.0, ::), which a source on another host cannot dial.
    /// </summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>Port to bind; 0 lets the OS choose (the offer carries the real one).</summary>
    public int Port { get; init; }

    /// <summary>
    /// With <see cref="Port"/>, a range to bind in (a firewall opens only it): the first free port from
    /// <see cref="Port"/> to this one; null = <see cref="Port"/> alone.
    /// </summary>
    public int? LastPort { get; init; }

    /// <summary>How long a new connection may take to present a complete Hello before it is refused.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest wait for the next bytes from the sender, or for one sink write, before the transfer fails with
    /// <see cref="StateTransferOutcome.IdleTimeout"/>. <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a side that gives up spends telling the peer why (its Abort, Refused or failed Ack) and reading the
    /// peer's own reason; best effort, the peer may be gone. Positive and finite.
    /// </summary>
    public TimeSpan FarewellTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Pipe buffer size: large so each socket read moves up to this much and the sink gets big slices. Socket
    /// buffers are left to the kernel's autotuning (a fixed SO_RCVBUF turns it off).
    /// </summary>
    public int BufferSize { get; init; } = 1 << 20;

    /// <summary>
    /// Where the transfer's pipes take their segments; <see cref="TransferBuffers.Default"/>, bounded, unless a test
    /// counts its own.
    /// </summary>
    public System.Buffers.MemoryPool<byte> BufferPool { get; init; } = TransferBuffers.Default;

    /// <summary>Connections allowed in the handshake at once; more are refused straight away.</summary>
    public int MaxPendingHandshakes { get; init; } = 8;

    /// <summary>Clock for timeouts and elapsed time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logger for refusals and failures; none by default.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Mutual TLS: the target presents this identity's certificate and accepts only a source whose certificate chains
    /// to its CA (checked before the Hello is read); null = plaintext.
    /// </summary>
    public Security.TlsIdentity? Tls { get; init; }

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0..65535");
        }

        if (LastPort is { } last && (Port <= 0 || last < Port || last > 65535))
        {
            throw new ArgumentOutOfRangeException(nameof(LastPort), LastPort, $"LastPort must be from Port ({Port}, not 0) to 65535");
        }

        if (AdvertisedHost is null && (BindAddress.Equals(IPAddress.Any) || BindAddress.Equals(IPAddress.IPv6Any)))
        {
            throw new ArgumentException($"BindAddress {BindAddress} is a wildcard: set AdvertisedHost to the address the source should dial", nameof(AdvertisedHost));
        }

        ValidateTimeout(HandshakeTimeout, nameof(HandshakeTimeout));
        ValidateTimeout(IdleTimeout, nameof(IdleTimeout));
        ValidateFinite(FarewellTimeout, nameof(FarewellTimeout));
        if (BufferSize < 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferSize), BufferSize, "BufferSize must be at least 4096");
        }

        if (MaxPendingHandshakes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPendingHandshakes), MaxPendingHandshakes, "MaxPendingHandshakes must be at least 1");
        }
    }

    internal static void ValidateFinite(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }

    internal static void ValidateTimeout(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive or Timeout.InfiniteTimeSpan");
        }
    }
}
