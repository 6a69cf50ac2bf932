using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>Wraps a device error with context without repeating its errno prefix.</summary>
internal static class ErrnoText
{
    /// <summary>The message of <paramref name="e"/> without the leading <c>ERRNO: </c>.</summary>
    public static string Detail(VfioException e)
    {
        var prefix = $"{e.Errno}: ";
        return e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
    }
}
