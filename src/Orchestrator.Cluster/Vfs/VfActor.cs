using Akka.Actor;
using Orchestrator.Devices.Contract;
using static Orchestrator.Cluster.Vfs.VfProtocol;

namespace Orchestrator.Cluster.Vfs;

/// <summary>
/// One VF: its identity (kind, profile, workload), its VFIO state and its last transitions, which
/// <c>GET /api/v1/vfs/{id}?history=true</c> reads through the PF. The PF actor is the only one that talks to the device
/// and tells this actor what it saw; after a restart this actor asks its PF to re-read the device
/// (<see cref="Restarted"/>), never guesses. Kept small: a node may hold 100 000 of them.
/// </summary>
public sealed class VfActor : UntypedActor
{
    private const int HistoryLimit = 16;

    private readonly VfId _id;
    private readonly VfKind _kind;
    private readonly ProfileId _profile;
    private readonly WorkloadId? _workload;
    private VfioDeviceState _state;
    private VfTransition[]? _history;
    private int _historyCount;

    public VfActor(VfId id, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state)
    {
        _id = id;
        _kind = kind;
        _profile = profile;
        _workload = workload;
        _state = state;
    }

    /// <summary>A VF actor starting with <paramref name="state"/>, what the PF read from the device as it created it.</summary>
    public static Props Props(VfId id, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state) =>
        Akka.Actor.Props.Create(() => new VfActor(id, kind, profile, workload, state));

    /// <summary>The state given at creation may be stale now: the PF re-reads the device and tells.</summary>
    protected override void PostRestart(Exception reason) => Context.Parent.Tell(new Restarted(_id.Index));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StateObserved observed:
                if (observed.State != _state)
                {
                    Record(new VfTransition(_state, observed.State, observed.Migration, observed.Epoch, observed.At));
                    _state = observed.State;
                }

                break;
            case GetVfStatus:
                Sender.Tell(new VfStatus(_id, _kind, _profile, _workload, _state, History()));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Record(VfTransition transition)
    {
        // A ring buffer allocated on first use: most VFs never change state, and memory per VF actor is a target.
        _history ??= new VfTransition[HistoryLimit];
        _history[_historyCount % HistoryLimit] = transition;
        _historyCount++;
    }

    private VfTransition[] History()
    {
        if (_history is null)
        {
            return [];
        }

        var count = Math.Min(_historyCount, HistoryLimit);
        var result = new VfTransition[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = _history[(_historyCount - count + i) % HistoryLimit];
        }

        return result;
    }
}
