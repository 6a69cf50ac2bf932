using BenchmarkDotNet.Attributes;
using Orchestrator.Cluster.Serialization;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Benchmarks;

/// <summary>Decide/Apply of <see cref="MigrationState"/> and the persisted-event serializer, per whole migration.</summary>
[MemoryDiagnoser]
public class DomainBenchmarks
{
    private List<IMigrationEvent> _events = [];
    private (string Manifest, byte[] Payload)[] _encoded = [];

    [GlobalSetup]
    public void Setup()
    {
        _events = MigrationJournal.Drive().Events;
        _encoded = [.. _events.Select(e => EventSerializer.Encode(e))];
    }

    /// <summary>Decide + Apply of every step of a happy-path migration (what a coordinator does per migration).</summary>
    [Benchmark]
    public MigrationState DecideApply_happy_path() => MigrationJournal.Drive().Final;

    /// <summary>Apply only: a coordinator's recovery replays its journal.</summary>
    [Benchmark]
    public MigrationState Replay_journal() => MigrationState.Replay(MigrationJournal.Id, _events);

    [Benchmark]
    public int Encode_journal()
    {
        var bytes = 0;
        foreach (var e in _events)
        {
            bytes += EventSerializer.Encode(e).Payload.Length;
        }

        return bytes;
    }

    [Benchmark]
    public int Decode_journal()
    {
        var n = 0;
        foreach (var (manifest, payload) in _encoded)
        {
            n += EventSerializer.Decode(manifest, payload) is IMigrationEvent ? 1 : 0;
        }

        return n;
    }
}
