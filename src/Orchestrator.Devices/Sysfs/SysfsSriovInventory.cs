using System.Globalization;

namespace Orchestrator.Devices.Sysfs;

/// <summary>
/// Read-only SR-IOV inventory from Linux sysfs: the PFs under <c>bus/pci/devices</c> that have
/// <c>sriov_totalvfs</c>, with <c>sriov_numvfs</c>, their <c>virtfn*</c> VFs, driver bindings and ids. It never writes
/// (no <c>sriov_numvfs</c> changes, no binds): a real backend would do that through its own privileged path.
/// </summary>
public sealed class SysfsSriovInventory
{
    /// <summary>Reads the inventory under <paramref name="root"/> (default <c>/sys</c>; tests pass a fake tree).</summary>
    public SysfsSriovInventory(string root = "/sys")
    {
        Root = root;
    }

    /// <summary>The sysfs root.</summary>
    public string Root { get; }

    /// <summary>Every SR-IOV PF, ordered by address; empty when the tree has no PCI bus.</summary>
    public IReadOnlyList<SysfsPf> ListPfs()
    {
        var devices = Path.Combine(Root, "bus", "pci", "devices");
        if (!Directory.Exists(devices))
        {
            return [];
        }

        var pfs = new List<SysfsPf>();
        // On a real system every entry is a symlink to ../../../devices/pci…/ADDRESS; Directory.Exists follows it.
        foreach (var entry in Directory.EnumerateFileSystemEntries(devices).Order(StringComparer.Ordinal))
        {
            if (!Directory.Exists(entry) || ReadInt(Path.Combine(entry, "sriov_totalvfs")) is not { } total)
            {
                continue;
            }

            var vfs = new List<SysfsVf>();
            foreach (var link in Directory.EnumerateFileSystemEntries(entry, "virtfn*"))
            {
                var name = Path.GetFileName(link);
                if (!int.TryParse(name.AsSpan("virtfn".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    continue;
                }

                var target = ResolveLink(link);
                vfs.Add(new SysfsVf(index, Path.GetFileName(target), ReadText(Path.Combine(target, "vendor")),
                    ReadText(Path.Combine(target, "device")), LinkName(Path.Combine(target, "driver"))));
            }

            pfs.Add(new SysfsPf(Path.GetFileName(entry), ReadText(Path.Combine(entry, "vendor")), ReadText(Path.Combine(entry, "device")),
                LinkName(Path.Combine(entry, "driver")), total, ReadInt(Path.Combine(entry, "sriov_numvfs")) ?? 0,
                [.. vfs.OrderBy(v => v.Index)]));
        }

        return pfs;
    }

    private static string ResolveLink(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not { } target)
        {
            return path;
        }

        return Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(path)!, target));
    }

    private static string? LinkName(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is { } target ? Path.GetFileName(target.TrimEnd('/')) : null;
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int? ReadInt(string path) =>
        int.TryParse(ReadText(path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
