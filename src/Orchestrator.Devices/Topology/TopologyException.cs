namespace Orchestrator.Devices.Topology;

/// <summary>A topology file had bad values; <see cref="Errors"/> lists every one of them.</summary>
public sealed class TopologyException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public TopologyException(IReadOnlyList<TopologyError> errors)
        : base($"{errors.Count} error(s) in topology:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message and no positioned errors.</summary>
    public TopologyException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TopologyException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TopologyException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every bad value, in file order.</summary>
    public IReadOnlyList<TopologyError> Errors { get; }
}
