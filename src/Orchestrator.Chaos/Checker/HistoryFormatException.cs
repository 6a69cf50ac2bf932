namespace Orchestrator.Chaos.Checker;

/// <summary>A history file holds a line that is not a record and is not a torn last line: the file is corrupt.</summary>
public sealed class HistoryFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>:<paramref name="lineNumber"/>.</summary>
    public HistoryFormatException(string path, int lineNumber, string reason, Exception? inner = null)
        : base($"{path}:{lineNumber}: not a history record: {reason}", inner)
    {
        Path = path;
        LineNumber = lineNumber;
    }

    /// <summary>The file.</summary>
    public string Path { get; } = "";

    /// <summary>1-based line number.</summary>
    public int LineNumber { get; }
}
