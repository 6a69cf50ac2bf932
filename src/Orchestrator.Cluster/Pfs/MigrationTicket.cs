namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// Who sends a migration command and in which incarnation: PF actors fence on it (a command whose epoch is older
/// than the newest seen for that migration never touches a device).
/// </summary>
public sealed record MigrationTicket(MigrationId Migration, Epoch Epoch)
{
    public override string ToString() => $"{Migration}#{Epoch}";
}
