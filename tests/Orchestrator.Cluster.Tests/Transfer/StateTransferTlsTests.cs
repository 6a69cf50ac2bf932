using Orchestrator.Chaos.Processes;
using Orchestrator.Cluster.Security;
using Orchestrator.Cluster.Transfer;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Transfer;

/// <summary>The state stream over mutual TLS: both ends must hold a certificate of the cluster's CA.</summary>
public sealed class StateTransferTlsTests : IDisposable
{
    private const int MiB = 1 << 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-tls-").FullName;
    private readonly LocalAuthority _cluster;
    private readonly LocalAuthority _stranger;

    public StateTransferTlsTests()
    {
        _cluster = LocalAuthority.Create(Path.Combine(_dir, "cluster"));
        _stranger = LocalAuthority.Create(Path.Combine(_dir, "stranger"), "another CA");
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _stranger.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Two_nodes_of_one_CA_stream_over_TLS_with_the_same_bytes_and_checksum()
    {
        using var target = Identity(_cluster, "node-2");
        using var source = Identity(_cluster, "node-1");
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync, new StateTransferListenerOptions { Tls = target });

        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(8 * MiB + 5), new StateTransferSenderOptions { Tls = source }).WaitAsync(Patience);
        var received = await listener.Completion.WaitAsync(Patience);

        Assert.True(sent.IsOk, sent.Detail);
        Assert.True(received.IsOk, received.Detail);
        Assert.Equal(8 * MiB + 5, sink.Received);
        Assert.Null(sink.FirstMismatch);
        Assert.Equal(sent.Checksum, received.Checksum);
    }

    [Fact]
    public async Task A_source_without_the_CA_cannot_stream_and_a_target_without_it_is_not_trusted()
    {
        using var target = Identity(_cluster, "node-2");
        using var intruder = Identity(_stranger, "intruder");
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start("m-1", 1, sink.WriteAsync, new StateTransferListenerOptions { Tls = target });

        // A certificate of another CA: the target refuses it (and the intruder does not trust the target either).
        var refused = await Assert.ThrowsAsync<StateTransferException>(
            () => StateTransferSender.ConnectAsync(listener.Offer, new StateTransferSenderOptions { Tls = intruder })).WaitAsync(Patience);
        Assert.Equal(StateTransferOutcome.Refused, refused.Outcome);
        Assert.Equal(StateTransferRefusal.UntrustedPeer, refused.Refusal);

        // No certificate at all (plaintext): not a TLS client, refused before a byte of the Hello is read.
        var plain = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(MiB)).WaitAsync(Patience);
        Assert.False(plain.IsOk);
        await Eventually.TrueAsync(() => listener.RefusedConnections == 2, "the listener to refuse both connections", Patience);
        Assert.Equal(0, sink.Received);
        Assert.False(listener.Completion.IsCompleted);

        // A node of the cluster still can (the token was never spent).
        using var source = Identity(_cluster, "node-1");
        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(MiB), new StateTransferSenderOptions { Tls = source }).WaitAsync(Patience);
        Assert.True(sent.IsOk, sent.Detail);
    }

    [Fact]
    public void A_certificate_of_another_CA_is_refused_at_load_naming_both_files()
    {
        var (certificate, key) = _stranger.Issue("node-9", ["127.0.0.1"]);

        var error = Assert.Throws<ArgumentException>(() => TlsIdentity.Load(certificate, key, _cluster.CaPath));

        Assert.Contains(certificate, error.Message, StringComparison.Ordinal);
        Assert.Contains(_cluster.CaPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("tls.key: file '/nonexistent.key'", Assert.Throws<ArgumentException>(() => TlsIdentity.Load(certificate, "/nonexistent.key", _cluster.CaPath)).Message, StringComparison.Ordinal);
    }

    private static TlsIdentity Identity(LocalAuthority authority, string name)
    {
        var (certificate, key) = authority.Issue(name, ["127.0.0.1"]);
        return TlsIdentity.Load(certificate, key, authority.CaPath);
    }
}
