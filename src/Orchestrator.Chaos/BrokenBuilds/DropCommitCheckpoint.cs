using Akka.Persistence.Journal;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Chaos.BrokenBuilds;

/// <summary>
/// The deliberately broken build the history checker must catch: a journal that loses every migration's
/// <c>MigrationCommitted</c> checkpoint. The coordinator writes it and acts on it as always; a new incarnation replays
/// the journal without it, believes the migration is before the point of no return, and rolls back a workload that its
/// target already ran (or cannot replay what followed the commit, and never ends).
/// </summary>
/// <remarks>
/// A read-side event adapter of the journal, not a switch in the coordinator: no production setting can weaken a
/// checkpoint. It refuses to load unless <see cref="Arm"/> was called in the process, which only the chaos harness's
/// hidden <c>orchestrator chaos-node</c> verb and the tests do; an <c>akka { }</c> block in a node's config file naming it
/// stops the journal instead.
/// </remarks>
public sealed class DropCommitCheckpoint : IReadEventAdapter
{
    /// <summary>The hidden verb of the node that runs this broken build (<c>orchestrator chaos-node --config FILE</c>).</summary>
    public const string NodeVerb = "chaos-node";

    private static int _armed;

    /// <summary>Created by Akka.Persistence from the journal's <c>event-adapters</c>; throws unless armed.</summary>
    public DropCommitCheckpoint()
    {
        if (Volatile.Read(ref _armed) == 0)
        {
            throw new InvalidOperationException(
                $"{nameof(DropCommitCheckpoint)} is the chaos harness's broken build; only `orchestrator chaos-node` and tests may load it");
        }
    }

    /// <summary>Allows this process to load the adapter (the broken build); there is no way back, by design.</summary>
    public static void Arm() => Interlocked.Exchange(ref _armed, 1);

    /// <summary>Drops every <c>MigrationCommitted</c> on replay; passes everything else.</summary>
    public IEventSequence FromJournal(object evt, string manifest) =>
        evt is MigrationEvents.MigrationCommitted ? EventSequence.Empty : EventSequence.Single(evt);

    /// <summary>The HOCON that binds the adapter to <c>MigrationCommitted</c> on the journal <paramref name="journalPluginId"/>.</summary>
    public static string Hocon(string journalPluginId) => $$"""
        {{journalPluginId}} {
          event-adapters {
            drop-commit-checkpoint = "{{typeof(DropCommitCheckpoint).FullName}}, {{typeof(DropCommitCheckpoint).Assembly.GetName().Name}}"
          }
          event-adapter-bindings {
            "{{typeof(MigrationEvents.MigrationCommitted).FullName}}, {{typeof(MigrationEvents.MigrationCommitted).Assembly.GetName().Name}}" = drop-commit-checkpoint
          }
        }
        """;
}
