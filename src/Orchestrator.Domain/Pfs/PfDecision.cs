using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Pfs;

/// <summary>What <see cref="PfLedger{TReply}.Decide"/> answered for one command; <see cref="PfLedger{TReply}.Apply"/> records it.</summary>
/// <typeparam name="TReply">The PF actor's reply type, cached for retries.</typeparam>
/// <param name="Verdict">What to do.</param>
/// <param name="Reason">Why, for a log or a refusal (empty for <see cref="PfVerdict.Run"/>).</param>
/// <param name="CurrentEpoch">For <see cref="PfVerdict.Fence"/>: the epoch to report as current.</param>
/// <param name="Reply">For <see cref="PfVerdict.Replay"/>: the cached reply.</param>
/// <param name="Position">For <see cref="PfVerdict.Queue"/>: the 1-based place in the slot queue.</param>
/// <param name="TakesSlots">For <see cref="PfVerdict.Run"/>: slots taken now (0 when none are needed or already held).</param>
/// <param name="Joins">For <see cref="PfVerdict.Wait"/>: the running step is this very step (same epoch): join it.</param>
public sealed record PfDecision<TReply>(
    PfVerdict Verdict,
    string Reason,
    Epoch CurrentEpoch = default,
    TReply? Reply = null,
    int Position = 0,
    int TakesSlots = 0,
    bool Joins = false)
    where TReply : class;
