using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Orchestrator.Node.Api;

/// <summary>
/// Where a page of <c>GET /migrations/history</c> ended: the journal ordering of the terminal event of its last item
/// (the same on every node and across restarts). Opaque to clients (base64url of <c>j1|ordering</c>): a cursor of
/// another list (<see cref="ListCursor"/>) is no cursor of this one.
/// </summary>
public readonly record struct JournalCursor(long Ordering)
{
    private const string Version = "j1";

    public static bool TryParse(string? text, out JournalCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64 || !Base64Url.IsValid(text))
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('|');
        if (parts.Length != 2 || parts[0] != Version
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ordering))
        {
            return false;
        }

        cursor = new JournalCursor(ordering);
        return true;
    }

    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Version}|{Ordering}")));
}
