namespace Orchestrator.Devices.Contract;

/// <summary>What a read of a saving data stream found.</summary>
public enum VfioReadStatus
{
    /// <summary>Bytes were read.</summary>
    Data,

    /// <summary>PRE_COPY and nothing new yet (the kernel's -ENOMSG): more may come later; not an end.</summary>
    NoDataYet,

    /// <summary>STOP_COPY and everything was read (the kernel's read() == 0): permanent.</summary>
    EndOfStream,
}

/// <summary>The answer of one read.</summary>
/// <param name="Status">What was found.</param>
/// <param name="BytesRead">How many bytes were copied into the buffer (0 unless <see cref="VfioReadStatus.Data"/>).</param>
public readonly record struct VfioReadResult(VfioReadStatus Status, int BytesRead)
{
    /// <summary>Nothing new in PRE_COPY.</summary>
    public static VfioReadResult NoDataYet { get; } = new(VfioReadStatus.NoDataYet, 0);

    /// <summary>End of the STOP_COPY stream.</summary>
    public static VfioReadResult EndOfStream { get; } = new(VfioReadStatus.EndOfStream, 0);

    /// <summary>Some bytes.</summary>
    public static VfioReadResult Data(int count) => new(VfioReadStatus.Data, count);
}
