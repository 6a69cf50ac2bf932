namespace Orchestrator.Devices.Topology;

/// <summary>One bad value in a topology file, with where it is.</summary>
/// <param name="File">The file.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Message">What is wrong, naming the value.</param>
public sealed record TopologyError(string File, int Line, int Column, string Message)
{
    /// <summary><c>file:line:column: message</c>, the shape compilers use.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
