using System.Runtime.InteropServices;
using System.Text.Json;
using Orchestrator.Devices.Contract;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Simulation;

/// <content>
/// Device-state persistence: with <see cref="StatePath"/> set, the PF writes its VFs to that file (atomically: a
/// temporary file renamed over it) after every command that changes them, and <see cref="RestoreState"/> brings them
/// back in a new process. A VF restored in a saving state has lost its stream: PRE_COPY(_P2P) resumes as
/// RUNNING(_P2P), STOP_COPY as STOP, and a RESUMING VF, whose half-loaded state is gone, comes back in ERROR.
/// </content>
public sealed partial class SimulatedPfDriver
{
    private static readonly JsonSerializerOptions StateJson = new() { WriteIndented = false };
    private readonly object _persistGate = new();

    /// <summary>Where this PF keeps its VFs across restarts; null = nowhere (the default).</summary>
    public string? StatePath { get; set; }

    /// <summary>The PF's VFs as a <see cref="PersistedPfState"/>.</summary>
    public PersistedPfState ExportState()
    {
        var vfs = new List<PersistedVf>();
        foreach (var vf in Snapshot())
        {
            lock (vf.Gate)
            {
                vf.Advance();
                vfs.Add(new PersistedVf(
                    vf.Index, vf.Kind.ToString(), vf.Profile.Id.Value, vf.State.Name(), vf.ContentSeed,
                    Convert.ToBase64String(MemoryMarshal.AsBytes(vf.Versions.AsSpan())), vf.DirtyBytesPerSecond));
            }
        }

        return new PersistedPfState(Descriptor.Address, vfs);
    }

    /// <summary>Writes <see cref="ExportState"/> to <see cref="StatePath"/> (no-op without one).</summary>
    public void SaveState()
    {
        if (StatePath is not { } path)
        {
            return;
        }

        lock (_persistGate)
        {
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(ExportState(), StateJson));
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>Reads a state file written by <see cref="SaveState"/>; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a PF state; the message names the file.</exception>
    public static PersistedPfState? ReadState(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<PersistedPfState>(File.ReadAllBytes(path), StateJson)
                ?? throw new InvalidDataException($"device state file '{path}' is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"device state file '{path}' is not a PF state: {e.Message}", e);
        }
    }

    /// <summary>Replaces nothing: adds the persisted VFs to this (empty) PF, in the states described above.</summary>
    /// <exception cref="InvalidDataException">A VF that does not fit this PF; the message names it.</exception>
    public void RestoreState(PersistedPfState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Address != Descriptor.Address)
        {
            throw new InvalidDataException($"device state of PF '{state.Address}' cannot be restored onto PF '{Descriptor.Address}'");
        }

        foreach (var saved in state.Vfs)
        {
            if (!Enum.TryParse<VfKind>(saved.Kind, out var kind) || !VfioNames.TryParseState(saved.State, out var persisted)
                || !ProfileId.TryParse(saved.Profile, out var profile, out _))
            {
                throw new InvalidDataException(
                    $"device state of PF '{Descriptor.Address}': VF {saved.Index} has kind '{saved.Kind}', state '{saved.State}' or profile '{saved.Profile}' that is not known");
            }

            SimVf vf;
            try
            {
                vf = Insert(kind, CheckCreate(kind, profile, saved.Index), saved.Index, saved.DirtyBytesPerSecond);
            }
            catch (VfioException e)
            {
                throw new InvalidDataException($"device state of PF '{Descriptor.Address}': VF {saved.Index} does not fit: {e.Message}", e);
            }

            var versions = MemoryMarshal.Cast<byte, uint>(Convert.FromBase64String(saved.Versions)).ToArray();
            lock (vf.Gate)
            {
                vf.ContentSeed = saved.ContentSeed;
                if (versions.Length == vf.PageCount)
                {
                    vf.Versions = versions;
                }

                vf.ResetClock();
                Transition(vf, persisted switch
                {
                    S.PreCopy => S.Running,
                    S.PreCopyP2P => S.RunningP2P,
                    S.StopCopy => S.Stop,
                    S.Resuming => S.Error,
                    _ => persisted,
                });
            }
        }
    }

    private void Persist()
    {
        try
        {
            SaveState();
        }
        catch (IOException)
        {
            // The device keeps working; the next command writes the file again.
        }
    }
}
