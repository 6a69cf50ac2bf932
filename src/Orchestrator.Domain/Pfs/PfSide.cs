namespace Orchestrator.Domain.Pfs;

/// <summary>Which end of a migration a PF plays for a command: the VFs it copies from, or the ones it builds.</summary>
public enum PfSide
{
    /// <summary>The source VFs (pre-copy, quiesce, stop-and-copy, resume, release).</summary>
    Source,

    /// <summary>The target VFs (prepare, load, start, destroy).</summary>
    Target,
}
