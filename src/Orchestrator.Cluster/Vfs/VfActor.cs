using Akka.Actor;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using static Orchestrator.Cluster.Vfs.VfProtocol;

namespace Orchestrator.Cluster.Vfs;

/// <summary>
/// One VF: its identity (kind, profile, workload), its VFIO state and its recent history. The PF actor is the only
/// one that talks to the device and tells this actor what it saw. On restart the state is re-read from the device
/// through the <c>readState</c> function, never guessed. Kept small: a node may hold 100 000 of them.
/// </summary>
public sealed class VfActor : UntypedActor
{
    private const int HistoryLimit = 16;

    private readonly VfId _id;
    private readonly VfKind _kind;
    private readonly string _profile;
    private readonly WorkloadId? _workload;
    private readonly Func<VfioDeviceState> _readState;
    private VfioDeviceState _state;
    private MigrationId? _migration;
    private VfTransition[]? _history;
    private int _historyCount;

    public VfActor(VfId id, VfKind kind, string profile, WorkloadId? workload, Func<VfioDeviceState> readState)
    {
        _id = id;
        _kind = kind;
        _profile = profile;
        _workload = workload;
        _readState = readState;
    }

    public static Props Props(VfId id, VfKind kind, string profile, WorkloadId? workload, Func<VfioDeviceState> readState) =>
        Akka.Actor.Props.Create(() => new VfActor(id, kind, profile, workload, readState));

    protected override void PreStart() => _state = ReadDeviceState();

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
            case AssignMigration assign:
                _migration = assign.Migration;
                break;
            case GetVfStatus:
                Sender.Tell(new VfStatus(_id, _kind, _profile, _workload, _state, _migration, History()));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private VfioDeviceState ReadDeviceState()
    {
        try
        {
            return _readState();
        }
        catch (VfioException)
        {
            // The VF vanished underneath us; the PF reconciles and stops this actor.
            return VfioDeviceState.Error;
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
