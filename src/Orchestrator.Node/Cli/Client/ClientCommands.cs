using System.CommandLine;

namespace Orchestrator.Node.Cli.Client;

/// <summary>
/// The client verbs, each calling the HTTP API of a node: <c>hosts</c>, <c>vfs</c>, <c>destroy-vf</c>, <c>migrate</c>, <c>migrations</c>,
/// <c>watch</c>, <c>abort</c>, <c>switchover</c>, <c>evacuate</c>, <c>cordon</c>. Exit codes: <see cref="ExitCodes"/>.
/// </summary>
internal static class ClientCommands
{
    public static IReadOnlyList<Command> Create(CliIo io) =>
    [
        InventoryVerbs.Hosts(io),
        InventoryVerbs.Vfs(io),
        InventoryVerbs.DestroyVf(io),
        MigrationVerbs.Migrate(io),
        MigrationVerbs.Migrations(io),
        MigrationVerbs.Watch(io),
        MigrationVerbs.Abort(io),
        MigrationVerbs.Switchover(io),
        InventoryVerbs.Evacuate(io),
        InventoryVerbs.Cordon(io),
    ];

    /// <summary>An id-like argument: non-empty, no spaces or slashes; otherwise a <see cref="BadInputException"/> naming it.</summary>
    internal static string RequireName(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || value.Contains('/', StringComparison.Ordinal))
        {
            throw new BadInputException($"{what}: bad value '{value}'; expected a name without spaces or '/'");
        }

        return value;
    }
}
