using Orchestrator.Cluster.Transfer;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Pfs;
using Orchestrator.Domain.Reconciliation;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// Commands a PF actor runs and what it answers. Migration commands carry a <see cref="MigrationTicket"/> and a
/// step name: the same (migration, epoch, step) twice answers the same result; an older epoch is fenced.
/// </summary>
public static class PfProtocol
{
    /// <summary>A command for one migration on this PF.</summary>
    public interface IPfStepCommand : IOrchestratorMessage
    {
        MigrationTicket Ticket { get; }

        /// <summary>The step, for idempotency: the same step and epoch get the same answer.</summary>
        PfStep Step { get; }
    }

    /// <summary>
    /// <paramref name="Command"/> sent by a coordinator step that is traced: <paramref name="TraceParent"/> (W3C) is the
    /// parent of the PF's span of the step. The PF handles the command exactly as when it comes bare.
    /// </summary>
    public sealed record Traced(IPfStepCommand Command, string TraceParent) : IOrchestratorMessage;

    /// <summary>An answer to an <see cref="IPfStepCommand"/>.</summary>
    public interface IPfStepReply : IOrchestratorMessage
    {
        MigrationTicket Ticket { get; }

        PfStep Step { get; }
    }

    // ---- VF life cycle (API, provisioning) ----

    /// <summary>
    /// Create a VF with a kind and a profile at <paramref name="Index"/>, or else at the lowest index that is free on the
    /// device, held by no migration on this PF and not in <paramref name="AvoidIndices"/> (the indices the placement
    /// authority reserved for migration targets that are not prepared yet). An index a migration holds is refused.
    /// With <paramref name="RequestKey"/> (an API Idempotency-Key) the same key again answers the VF the first request
    /// created (see <c>KeyedCreates</c>); <paramref name="RequestedIndex"/> is the index the caller asked for, if any.
    /// An <paramref name="Index"/> without a <paramref name="RequestedIndex"/> was picked for the caller (by the placement
    /// authority): a VF already there is refused as a conflict, never answered as this request's however alike it is.
    /// </summary>
    public sealed record CreateVf(
        VfKind Kind,
        ProfileId Profile,
        WorkloadId? Workload,
        int? Index = null,
        IReadOnlyList<int>? AvoidIndices = null,
        string? RequestKey = null,
        int? RequestedIndex = null) : IOrchestratorMessage;

    /// <summary>The VF exists (also the answer when the same VF already existed with the same identity).</summary>
    public sealed record CreateVfReply(VfId Vf, VfKind Kind, ProfileId Profile, WorkloadId? Workload) : IOrchestratorMessage;

    /// <summary>
    /// Destroy a VF. Refused (a conflict) while a migration holds it, always; refused when it serves a workload unless
    /// <paramref name="Force"/>.
    /// </summary>
    public sealed record DestroyVf(VfId Vf, bool Force = false) : IOrchestratorMessage;

    /// <summary>The VF is gone (also when it was already gone).</summary>
    public sealed record DestroyVfReply(VfId Vf) : IOrchestratorMessage;

    /// <summary>A VF command was refused or failed; nothing was half-done.</summary>
    public sealed record VfCommandFailed(string Reason, bool IsConflict = false) : IOrchestratorMessage;

    /// <summary>Ask for the PF's status (descriptor, VFs, slots, queue).</summary>
    public sealed record GetPfStatus : IOrchestratorMessage
    {
        public static GetPfStatus Instance { get; } = new();
    }

    // ---- Directory (to and from the host) ----

    /// <summary>
    /// To the host: a change that moves a workload or creates or destroys a VF. Write the host's whole entry, with this
    /// report, to a majority of the directory now (after any label it persists), then answer
    /// <see cref="DirectoryWritten"/>: the PF holds the step's reply until then (DESIGN invariant 7).
    /// </summary>
    /// <param name="Report">The PF after the change.</param>
    /// <param name="Sequence">This PF's count of such writes; an answer covers every write up to it.</param>
    public sealed record WriteDirectory(PfReport Report, long Sequence) : IOrchestratorMessage;

    /// <summary>
    /// From the host: the directory holds the PF's snapshots up to <paramref name="Sequence"/>, on a majority of nodes
    /// when <paramref name="Majority"/> (otherwise no majority answered in time and only this node has it).
    /// </summary>
    public sealed record DirectoryWritten(long Sequence, bool Majority) : IOrchestratorMessage;

    // ---- Host reconciler ----

    /// <summary>Re-read the device and show the host reconciler every VF, who uses it, the slots and the slot queue.</summary>
    public sealed record InspectLeftovers : IOrchestratorMessage
    {
        public static InspectLeftovers Instance { get; } = new();
    }

    /// <summary>What the PF shows the reconciler: the devices as read now and what the PF's own books say.</summary>
    /// <param name="Pf">The PF.</param>
    /// <param name="Vfs">Every VF, read from the device, with the host's workload label.</param>
    /// <param name="Owners">Which migration uses which VF now (the PF's claims).</param>
    /// <param name="SlotHolders">Migrations holding migration slots here.</param>
    /// <param name="Queued">Migrations waiting for a slot here, in queue order.</param>
    public sealed record PfLeftoverView(
        PfId Pf,
        IReadOnlyList<VfInventory> Vfs,
        IReadOnlyDictionary<VfId, MigrationId> Owners,
        IReadOnlyList<MigrationId> SlotHolders,
        IReadOnlyList<MigrationId> Queued) : IOrchestratorMessage;

    /// <summary>
    /// Clean one thing an ended migration (or none, when <paramref name="Ticket"/> is null) left on this PF. The PF
    /// refuses when the migration is live here, when it has seen a newer epoch of it, when another migration uses the
    /// VF, or when the VF is no longer in <paramref name="ExpectedState"/>: the reconciler decided on a snapshot.
    /// </summary>
    public sealed record ReconcileLeftover(LeftoverAction Action, MigrationTicket? Ticket, VfId? Vf, VfioDeviceState? ExpectedState, string Reason) : IOrchestratorMessage;

    /// <summary>Done; <paramref name="SlotFreed"/> says the migration's slot was given back with it.</summary>
    public sealed record LeftoverReconciled(PfId Pf, LeftoverAction Action, VfId? Vf, MigrationId? Migration, bool SlotFreed) : IOrchestratorMessage;

    /// <summary>Not done, and why; <paramref name="NothingToDo"/> when it was already clean.</summary>
    public sealed record LeftoverRefused(PfId Pf, LeftoverAction Action, VfId? Vf, MigrationId? Migration, string Reason, bool NothingToDo = false) : IOrchestratorMessage;

    // ---- Target side ----

    /// <summary>One VF to create on the target, with what it must match.</summary>
    public sealed record TargetVfSpec(VfId Source, VfId Target, VfKind Kind, ProfileId Profile, WorkloadId Workload);

    /// <summary>Create the target VFs with the same kind and profile, move them to RESUMING, open a state listener each.</summary>
    public sealed record PrepareTargetCommand(MigrationTicket Ticket, IReadOnlyList<TargetVfSpec> Vfs) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.PrepareTarget);
    }

    /// <summary>Where each target VF receives its state.</summary>
    public sealed record TargetVfOffer(VfId Source, VfId Target, StateTransferOffer Offer);

    /// <summary>
    /// The target VFs are RESUMING and listening. <paramref name="LoadLatency"/>: what loading (RESUMING→STOP) and
    /// starting (STOP→RUNNING) them should take, from this PF's measured arcs (part of the downtime prediction).
    /// </summary>
    public sealed record PrepareTargetReply(MigrationTicket Ticket, IReadOnlyList<TargetVfOffer> Offers, TimeSpan LoadLatency = default) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.PrepareTarget);
    }

    /// <summary>Wait for the whole stream, then RESUMING→STOP: the device validates match data and checksum.</summary>
    public sealed record LoadTargetCommand(MigrationTicket Ticket) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.LoadTarget);
    }

    /// <summary>The target accepted the state; the checksums are what it received.</summary>
    public sealed record LoadTargetReply(MigrationTicket Ticket, IReadOnlyList<VfChecksum> Checksums) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.LoadTarget);
    }

    /// <summary>Start the loaded target VFs (→RUNNING). Only after Committed.</summary>
    public sealed record StartTargetCommand(MigrationTicket Ticket, IReadOnlyList<VfId> Targets) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.StartTarget);
    }

    /// <summary>
    /// The target VFs run. <paramref name="ResetVfs"/> had to be reset to get there (out of ERROR): they run with fresh
    /// device state, the loaded state is gone, and the coordinator must not report the migration Completed.
    /// </summary>
    public sealed record StartTargetReply(MigrationTicket Ticket, DateTimeOffset At, IReadOnlyList<VfId>? ResetVfs = null) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.StartTarget);
    }

    /// <summary>
    /// Roll back on the target: close listeners, destroy the target VFs this migration created (their streams die with
    /// them). A PF that no longer knows what it created (its actor restarted) destroys a VF in
    /// <paramref name="Targets"/> only when it is evidently this migration's target: labelled
    /// <paramref name="Workload"/> and in RESUMING, STOP or ERROR; anything else is left alone, logged.
    /// </summary>
    public sealed record DestroyTargetCommand(MigrationTicket Ticket, IReadOnlyList<VfId> Targets, WorkloadId? Workload = null) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.DestroyTarget);
    }

    /// <summary>The target VFs are gone.</summary>
    public sealed record DestroyTargetReply(MigrationTicket Ticket) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.DestroyTarget);
    }

    // ---- Source side ----

    /// <summary>Connect to the target's listeners and, where the device supports it, enter PRE_COPY.</summary>
    public sealed record StartPreCopyCommand(MigrationTicket Ticket, IReadOnlyList<TargetVfOffer> Offers, long BandwidthBytesPerSecond) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.StartPreCopy);
    }

    /// <summary>Pre-copy started (<paramref name="Supported"/> false: the device has no PRE_COPY, go to stop-copy).</summary>
    public sealed record StartPreCopyReply(MigrationTicket Ticket, bool Supported, long StopCopyBytes) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.StartPreCopy);
    }

    /// <summary>
    /// Stream what the device has now (initial, then dirty state) while the workload runs, under the bandwidth cap the
    /// migration's policy has now (0: none).
    /// </summary>
    public sealed record PreCopyRoundCommand(MigrationTicket Ticket, int Round, long BandwidthBytesPerSecond = 0) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.PreCopyRound, Round);
    }

    /// <summary>
    /// One round: what moved, what is left, how fast the workload dirties state. From this PF's measured arcs:
    /// <paramref name="QuiesceLatency"/>, what moving the VFs to P2P should take (outside the window of a multi-VF
    /// migration, which quiesces first), and <paramref name="StopLatency"/>, what stopping them from P2P to STOP_COPY
    /// should take (the slowest VF of each). <paramref name="TargetReady"/> is the switchover-ack: every VF's initial
    /// bytes were read (PRECOPY_INFO says none left) and the target acknowledged the segment that carried them, which
    /// it does once its device has taken them (mlx5 loads the first image in the write that completes it).
    /// </summary>
    public sealed record PreCopyRoundReply(
        MigrationTicket Ticket,
        int Round,
        long BytesThisRound,
        long BytesTransferred,
        long BytesRemaining,
        long DirtyBytesPerSecond,
        long BandwidthBytesPerSecond,
        TimeSpan Elapsed,
        TimeSpan QuiesceLatency = default,
        TimeSpan StopLatency = default,
        bool TargetReady = true) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.PreCopyRound, Round);
    }

    /// <summary>Move every source VF of the workload to a P2P state (no new peer DMA) before any stops.</summary>
    public sealed record QuiesceSourcesCommand(MigrationTicket Ticket) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.QuiesceSources);
    }

    /// <summary>All source VFs are in RUNNING_P2P or PRE_COPY_P2P.</summary>
    public sealed record QuiesceSourcesReply(MigrationTicket Ticket) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.QuiesceSources);
    }

    /// <summary>STOP_COPY: stop the source VFs and stream the rest of their state; the downtime starts here.</summary>
    public sealed record StopAndCopyCommand(MigrationTicket Ticket, IReadOnlyList<TargetVfOffer> Offers) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.StopAndCopy);
    }

    /// <summary>The final state was received and verified by the target (end-of-stream acknowledged).</summary>
    public sealed record StopAndCopyReply(
        MigrationTicket Ticket,
        IReadOnlyList<VfChecksum> Checksums,
        long BytesTransferred,
        DateTimeOffset StoppedAt) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.StopAndCopy);
    }

    /// <summary>Rollback on the source: drop the saving streams and put the VFs back to RUNNING (reset if needed).</summary>
    public sealed record ResumeSourceCommand(MigrationTicket Ticket, IReadOnlyList<VfId> Sources) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.ResumeSource);
    }

    /// <summary>
    /// The source VFs run again. <paramref name="ResetVfs"/> had to be reset out of ERROR: the VM still has them on its
    /// host, with fresh device state (as after a function reset), so the rollback still ends RolledBack.
    /// </summary>
    public sealed record ResumeSourceReply(MigrationTicket Ticket, IReadOnlyList<VfId>? ResetVfs = null) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.ResumeSource);
    }

    /// <summary>After the target runs: destroy the source VFs (never reset first: a reset would run them again) and free their slots.</summary>
    public sealed record ReleaseSourceCommand(MigrationTicket Ticket, IReadOnlyList<VfId> Sources) : IPfStepCommand
    {
        public PfStep Step => new(MigrationStep.ReleaseSource);
    }

    /// <summary>The source VFs are gone.</summary>
    public sealed record ReleaseSourceReply(MigrationTicket Ticket) : IPfStepReply
    {
        public PfStep Step => new(MigrationStep.ReleaseSource);
    }

    // ---- Common answers ----

    /// <summary>
    /// The command failed on the device or the stream; the device is where <paramref name="Reason"/> says.
    /// <paramref name="Errno"/> is the device's error when it gave one (ENOENT: a VF of the step does not exist).
    /// </summary>
    public sealed record StepFailedReply(MigrationTicket Ticket, PfStep Step, string Reason, VfioErrno? Errno = null) : IPfStepReply;

    /// <summary>The command's epoch is older than one already seen for that migration: nothing was done.</summary>
    public sealed record StepFencedReply(MigrationTicket Ticket, PfStep Step, Epoch CurrentEpoch) : IPfStepReply;

    /// <summary>The PF's migration slots are full; the command waits in a FIFO queue at this position.</summary>
    public sealed record StepQueuedReply(MigrationTicket Ticket, PfStep Step, int Position) : IPfStepReply;

    /// <summary>Checksum of the state one VF pair moved (<paramref name="Source"/>: on a target, the VF it came from).</summary>
    public sealed record VfChecksum(VfId Vf, long Bytes, string Checksum, VfId? Source = null);
}
