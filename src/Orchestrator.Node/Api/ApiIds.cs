using System.Diagnostics.CodeAnalysis;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Node.Api;

/// <summary>Ids from paths and bodies, parsed with the domain's parsers; a failure is a 400 naming the field and the value.</summary>
public static class ApiIds
{
    public static bool TryHost(string field, string? text, out HostId id, [NotNullWhen(false)] out IResult? problem) =>
        Check(HostId.TryParse(text, out id, out var error), field, text, error, out problem);

    public static bool TryPf(string field, string? text, out PfId id, [NotNullWhen(false)] out IResult? problem) =>
        Check(PfId.TryParse(text, out id, out var error), field, text, error, out problem);

    public static bool TryVf(string field, string? text, out VfId id, [NotNullWhen(false)] out IResult? problem) =>
        Check(VfId.TryParse(text, out id, out var error), field, text, error, out problem);

    public static bool TryWorkload(string field, string? text, out WorkloadId id, [NotNullWhen(false)] out IResult? problem) =>
        Check(WorkloadId.TryParse(text, out id, out var error), field, text, error, out problem);

    public static bool TryProfile(string field, string? text, out ProfileId id, [NotNullWhen(false)] out IResult? problem) =>
        Check(ProfileId.TryParse(text, out id, out var error), field, text, error, out problem);

    public static bool TryMigration(string field, string? text, out MigrationId id, [NotNullWhen(false)] out IResult? problem) =>
        Check(MigrationId.TryParse(text, out id, out var error), field, text, error, out problem);

    private static bool Check(bool ok, string field, string? text, string error, [NotNullWhen(false)] out IResult? problem)
    {
        problem = ok ? null : ApiProblems.BadInput(field, text, $"{field}: {error}");
        return ok;
    }
}
