namespace Orchestrator.Devices.Contract;

/// <summary>
/// A migration data session (the kernel's <c>data_fd</c>): opened by the last arc of a state request that enters
/// PRE_COPY, STOP_COPY (from STOP) or RESUMING; kept while the VF moves inside the saving group; dead once the VF
/// leaves it, is reset, or fails. At most one per VF.
/// </summary>
public interface IVfioDataStream : IAsyncDisposable
{
    /// <summary>True for a saving stream (read), false for a resuming one (write).</summary>
    bool IsSaving { get; }

    /// <summary>
    /// Reads saved state. In PRE_COPY a read that finds nothing new answers <see cref="VfioReadStatus.NoDataYet"/>;
    /// in STOP_COPY, once all is read, <see cref="VfioReadStatus.EndOfStream"/> forever.
    /// </summary>
    /// <exception cref="VfioException">ENODEV when the stream is dead or in error; EINVAL on a resuming stream.</exception>
    ValueTask<VfioReadResult> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Writes state into a resuming VF; segmentation need not match the reads on the source.</summary>
    /// <exception cref="VfioException">ENODEV when dead; EINVAL on a saving stream or when match data is rejected.</exception>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>PRECOPY_INFO: valid only while the VF is in PRE_COPY or PRE_COPY_P2P.</summary>
    /// <exception cref="VfioException">EINVAL in any other state.</exception>
    PreCopyInfo GetPreCopyInfo();
}
