using System.Globalization;
using System.Text.Json;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Node.Api;

/// <summary>
/// The optional <c>policy</c> object of <c>POST /migrations</c>: <c>downtimeLimitMs</c>, <c>bandwidthBytesPerSecond</c>
/// (null: no cap), <c>maxPreCopyRounds</c>, <c>completionTimeoutPerGiBSeconds</c>, <c>progressTimeoutSeconds</c>,
/// <c>nonConvergenceAction</c> (<c>abort</c> | <c>force</c> | <c>wait</c>), <c>switchoverAckWaitMs</c> (0: switch over
/// without waiting for the target's readiness), each optional and laid over the node's
/// default policy (<c>policy.*</c> keys). Every bad value answers 400 naming <c>policy.&lt;field&gt;</c> and the value.
/// </summary>
public static class PolicyRequest
{
    /// <summary>The fields a policy object may have.</summary>
    public static IReadOnlyList<string> Fields { get; } =
    [
        "downtimeLimitMs", "bandwidthBytesPerSecond", "maxPreCopyRounds", "completionTimeoutPerGiBSeconds", "progressTimeoutSeconds", "nonConvergenceAction",
        "switchoverAckWaitMs",
    ];

    /// <summary>The fields <c>PATCH /migrations/{id}/policy</c> may change while a migration runs.</summary>
    public static IReadOnlyList<string> Changeable { get; } = ["downtimeLimitMs", "bandwidthBytesPerSecond"];

    /// <summary>
    /// The policy <paramref name="policy"/> asks for over <paramref name="defaults"/>, or the 400 naming what is wrong
    /// (fields named <paramref name="prefix"/> + name: <c>policy.</c> in a request body, nothing where the body is the policy).
    /// </summary>
    public static (MigrationPolicy? Policy, IResult? Problem) Read(JsonElement policy, MigrationPolicy defaults, string prefix = "policy.")
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var result = defaults;
        foreach (var property in policy.EnumerateObject())
        {
            var field = prefix + property.Name;
            var value = property.Value;
            var raw = value.GetRawText();
            switch (property.Name)
            {
                case "downtimeLimitMs" when Number(value, 0, 2_000_000) is { } ms:
                    result = result with { DowntimeLimit = TimeSpan.FromMilliseconds(ms) };
                    break;
                case "bandwidthBytesPerSecond" when value.ValueKind == JsonValueKind.Null:
                    result = result with { BandwidthCapBytesPerSecond = null };
                    break;
                case "bandwidthBytesPerSecond" when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var bandwidth) && bandwidth > 0:
                    result = result with { BandwidthCapBytesPerSecond = bandwidth };
                    break;
                case "maxPreCopyRounds" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var rounds) && rounds is >= 1 and <= 10_000:
                    result = result with { MaxPreCopyRounds = rounds };
                    break;
                case "completionTimeoutPerGiBSeconds" when Number(value, 0, 86_400) is { } perGiB:
                    result = result with { CompletionTimeoutPerGiB = TimeSpan.FromSeconds(perGiB) };
                    break;
                case "progressTimeoutSeconds" when Number(value, 0, 86_400) is { } progress:
                    result = result with { ProgressTimeout = TimeSpan.FromSeconds(progress) };
                    break;
                case "switchoverAckWaitMs" when value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var ack) && ack is >= 0 and <= 600_000:
                    result = result with { SwitchoverAckWait = TimeSpan.FromMilliseconds(ack) };
                    break;
                case "nonConvergenceAction" when value.ValueKind == JsonValueKind.String && NonConvergenceActions.Parse(value.GetString()!) is { } action:
                    result = result with { NonConvergenceAction = action };
                    break;
                case var name when !Fields.Contains(name):
                    return (null, ApiProblems.BadInput(field, raw, $"unknown field '{field}' (value {raw}); expected {string.Join(", ", Fields.Select(f => prefix + f))}"));
                default:
                    return (null, ApiProblems.BadInput(field, raw, $"{field}: {raw} is invalid: expected {Expected(property.Name)}"));
            }
        }

        var errors = result.Validate();
        return errors.Count == 0
            ? (result, null)
            : (null, ApiProblems.BadInput("policy", policy.GetRawText(), "policy: " + string.Join("; ", errors)));
    }

    /// <summary>The policy's canonical text, for the idempotency hash of a request that has one.</summary>
    public static string Canonical(MigrationPolicy policy)
    {
        var view = MigrationResource.Policy(policy);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{view.DowntimeLimitMs}|{view.BandwidthBytesPerSecond}|{view.MaxPreCopyRounds}|{view.CompletionTimeoutPerGiBSeconds}|{view.ProgressTimeoutSeconds}|{view.NonConvergenceAction}");

        // Only a wait other than the default is part of the text, so that a key stored before the field existed
        // still answers a retry of the same request.
        return policy.SwitchoverAckWait == MigrationPolicy.Default.SwitchoverAckWait
            ? text
            : text + string.Create(CultureInfo.InvariantCulture, $"|ack={view.SwitchoverAckWaitMs}");
    }

    private static double? Number(JsonElement value, double above, double atMost) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var n) && n > above && n <= atMost ? n : null;

    private static string Expected(string field) => field switch
    {
        "downtimeLimitMs" => "a number of milliseconds > 0 and ≤ 2000000",
        "bandwidthBytesPerSecond" => "a whole number of bytes per second > 0, or null for no cap",
        "maxPreCopyRounds" => "a whole number from 1 to 10000",
        "completionTimeoutPerGiBSeconds" or "progressTimeoutSeconds" => "a number of seconds > 0 and ≤ 86400",
        "nonConvergenceAction" => "\"abort\", \"force\" or \"wait\"",
        "switchoverAckWaitMs" => "a number of milliseconds ≥ 0 and ≤ 600000",
        _ => "a valid value",
    };
}
