using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Orchestrator.Devices.Simulation;

/// <summary>Builds and compares the driver match block at the head of the state stream (<see cref="MatchRule"/>).</summary>
internal static class MatchBlock
{
    /// <summary>hisi_acc ACC_DEV_MAGIC (V1).</summary>
    public const ulong AccDevMagic = 0xCDCDCDCDFEEDAACCUL;

    /// <summary>hisi_acc QM_MATCH_SIZE.</summary>
    public const int HisiMatchBytes = 40;

    public static byte[] Build(MatchRule rule, SimulatedPfConfig pf, ProfileModel profile, int vfIndex)
    {
        var board = pf.BoardId ?? pf.DeviceType;
        switch (rule)
        {
            case MatchRule.HisiAccQm:
                var block = new byte[HisiMatchBytes];
                BinaryPrimitives.WriteUInt64LittleEndian(block, AccDevMagic);
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(8), (uint)profile.QueuePairs);
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(12), HisiDeviceId(pf.DeviceType));
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(16), XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(board)) & 0xFF);
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(20), (uint)(vfIndex * profile.QueuePairs)); // qp_base: per VF, not compared
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(24), 1); // vf_qm_state: QM_READY
                return block;
            case MatchRule.FirmwareAndPsid:
                return Encoding.UTF8.GetBytes($"fw={pf.Firmware};psid={board}");
            default:
                return Encoding.UTF8.GetBytes($"fw={pf.Firmware}");
        }
    }

    /// <summary>Null when the target accepts the source's block, else the mismatch in the driver's terms.</summary>
    public static string? Compare(MatchRule rule, IReadOnlyList<byte> stream, IReadOnlyList<byte> target)
    {
        var s = stream.ToArray();
        var t = target.ToArray();
        if (rule == MatchRule.HisiAccQm)
        {
            if (s.Length < HisiMatchBytes)
            {
                return $"driver match block: {s.Length} bytes, hisi_acc needs {HisiMatchBytes}";
            }

            var magic = BinaryPrimitives.ReadUInt64LittleEndian(s);
            if (magic != AccDevMagic)
            {
                return $"driver match block: acc_magic 0x{magic:X16}, expected 0x{AccDevMagic:X16}";
            }

            string? Field(string name, int offset)
            {
                var a = BinaryPrimitives.ReadUInt32LittleEndian(s.AsSpan(offset));
                var b = BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(offset));
                return a == b ? null : $"driver match block: {name} 0x{a:X} in stream, target has 0x{b:X}";
            }

            return Field("qp_num", 8) ?? Field("dev_id", 12) ?? Field("que_iso_cfg", 16);
        }

        return s.AsSpan().SequenceEqual(t)
            ? null
            : $"driver match block: stream '{Encoding.UTF8.GetString(s)}', target '{Encoding.UTF8.GetString(t)}'";
    }

    private static uint HisiDeviceId(string deviceType)
    {
        // VF PCI device ids of the HiSilicon accelerators (hisi_acc_vfio_pci id table).
        var upper = deviceType.ToUpperInvariant();
        if (upper.Contains("HPRE", StringComparison.Ordinal))
        {
            return 0xA259;
        }

        if (upper.Contains("ZIP", StringComparison.Ordinal))
        {
            return 0xA251;
        }

        if (upper.Contains("SEC", StringComparison.Ordinal))
        {
            return 0xA256;
        }

        return XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(deviceType)) & 0xFFFF;
    }
}
