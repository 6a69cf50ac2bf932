using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>One VF of a migration: where it is, where it goes, and what both ends can do.</summary>
/// <param name="Source">The source VF.</param>
/// <param name="Target">The target VF to create (a specific free index on the target PF).</param>
/// <param name="Kind">The kind to create it with (the source's).</param>
/// <param name="Profile">The profile to create it with (the source's).</param>
/// <param name="SourceFlags">Migration flags of the source PF.</param>
/// <param name="TargetFlags">Migration flags of the target PF.</param>
public sealed record VfPlacement(
    VfId Source,
    VfId Target,
    VfKind Kind,
    ProfileId Profile,
    MigrationFlags SourceFlags,
    MigrationFlags TargetFlags);
