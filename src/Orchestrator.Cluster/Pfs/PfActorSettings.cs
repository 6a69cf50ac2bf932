using System.Net;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Domain.Pfs;

namespace Orchestrator.Cluster.Pfs;

/// <summary>How a PF actor talks to the data plane and what it waits for.</summary>
public sealed record PfActorSettings
{
    public IPAddress TransferBindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Host name put in offers when the bind address is not what peers should dial (e.g. 0.0.0.0).</summary>
    public string? TransferAdvertisedHost { get; init; }

    /// <summary>Ports the state stream listens on (<c>node.state-stream-ports</c>); null = any the OS picks.</summary>
    public (int First, int Last)? TransferPorts { get; init; }

    /// <summary>The node's TLS identity: the state stream runs over mutual TLS with it; null = plaintext.</summary>
    public Security.TlsIdentity? Tls { get; init; }

    public TimeSpan TransferIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest pre-copy round: the first round of a large state is cut into several, so that every answer to the
    /// coordinator comes well within its step timeout on a loaded machine, and abort or switchover wait at most this.
    /// </summary>
    public TimeSpan MaxPreCopyRound { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Shortest pre-copy round after the first (see <c>SourceSession.RunRoundAsync</c>).</summary>
    public TimeSpan MinPreCopyRound { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// How long the host waits for a majority of nodes to store a directory entry that a migration step or a VF
    /// command changed, before that step is answered anyway (no majority reachable: read-your-writes is then lost, a
    /// migration never stalls on the directory). The PF answers on its own after twice this, should its host not.
    /// </summary>
    public TimeSpan DirectoryWriteTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Bounds of the PF's ledger: how long a migration that ended on the PF is still fenced and answered from cache
    /// (tombstone TTL, 10 minutes) and how many such migrations are kept at most (1024).
    /// </summary>
    public PfLedgerSettings Ledger { get; init; } = PfLedgerSettings.Default;

    /// <summary>Every problem, each naming the setting and its value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingChecks.Positive(errors, "PfActorSettings.TransferIdleTimeout", TransferIdleTimeout);
        SettingChecks.Positive(errors, "PfActorSettings.LoadTimeout", LoadTimeout);
        SettingChecks.Positive(errors, "PfActorSettings.MaxPreCopyRound", MaxPreCopyRound);
        SettingChecks.NotNegative(errors, "PfActorSettings.MinPreCopyRound", MinPreCopyRound);
        if (MinPreCopyRound > MaxPreCopyRound)
        {
            errors.Add($"PfActorSettings.MinPreCopyRound = {SettingChecks.Text(MinPreCopyRound)} must not exceed MaxPreCopyRound = {SettingChecks.Text(MaxPreCopyRound)}");
        }

        SettingChecks.Positive(errors, "PfActorSettings.DirectoryWriteTimeout", DirectoryWriteTimeout);
        if (TransferPorts is { } ports && (ports.First is < 1 or > 65535 || ports.Last < ports.First || ports.Last > 65535))
        {
            errors.Add($"PfActorSettings.TransferPorts = {ports.First}-{ports.Last} is not a range of TCP ports");
        }

        errors.AddRange(Ledger.Validate().Select(e => "PfActorSettings.Ledger." + e));
        return errors;
    }
}
