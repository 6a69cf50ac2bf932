using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Tests.Ids;

public sealed class IdTests
{
    [Theory]
    [InlineData("host-a")]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("h0st-9-x")]
    public void HostId_accepts_dns_labels_and_round_trips(string text)
    {
        Assert.True(HostId.TryParse(text, out var id, out var error), error);
        Assert.Equal(text, id.ToString());
        Assert.Equal(id, HostId.Parse(id.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Host-A")]
    [InlineData("-host")]
    [InlineData("host_a")]
    [InlineData("host.a")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 64 chars
    public void HostId_rejects_and_names_the_value(string text)
    {
        Assert.False(HostId.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
        var ex = Assert.Throws<FormatException>(() => HostId.Parse(text));
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostId_rejects_null()
    {
        Assert.False(HostId.TryParse(null, out _, out var error));
        Assert.Contains("host id", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("host-a/0000:3b:00.0", "host-a/0000:3b:00.0")]
    [InlineData("host-a/0000:3B:1f.7", "host-a/0000:3b:1f.7")]
    public void PfId_parses_and_canonicalises_hex(string text, string canonical)
    {
        var id = PfId.Parse(text);
        Assert.Equal(canonical, id.ToString());
        Assert.Equal(HostId.Parse("host-a"), id.Host);
        Assert.Equal(id, PfId.Parse(id.ToString()));
    }

    [Theory]
    [InlineData("host-a", "host-a")]
    [InlineData("host-a/0000:3b:00", "0000:3b:00")]
    [InlineData("host-a/0000:3b:20.0", "0000:3b:20.0")]
    [InlineData("host-a/0000:3b:00.8", "0000:3b:00.8")]
    [InlineData("Host/0000:3b:00.0", "Host")]
    [InlineData("host-a/000:3b:00.0", "000:3b:00.0")]
    public void PfId_rejects_and_names_the_bad_part(string text, string bad)
    {
        Assert.False(PfId.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
        Assert.Contains($"'{bad}'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("host-a/0000:3b:00.0/vf3", 3)]
    [InlineData("host-a/0000:3b:00.0/vf0", 0)]
    [InlineData("host-a/0000:3b:00.0/vf127", 127)]
    public void VfId_parses_and_round_trips(string text, int index)
    {
        var id = VfId.Parse(text);
        Assert.Equal(index, id.Index);
        Assert.Equal(PfId.Parse("host-a/0000:3b:00.0"), id.Pf);
        Assert.Equal(HostId.Parse("host-a"), id.Host);
        Assert.Equal(text, id.ToString());
        Assert.Equal(id, PfId.Parse("host-a/0000:3b:00.0").Vf(index));
    }

    [Theory]
    [InlineData("host-a/0000:3b:00.0/vf")]
    [InlineData("host-a/0000:3b:00.0/vf-1")]
    [InlineData("host-a/0000:3b:00.0/vf03")]
    [InlineData("host-a/0000:3b:00.0/3")]
    [InlineData("host-a/0000:3b:00.0/vf99999")]
    [InlineData("host-a/vf3")]
    [InlineData("vf3")]
    public void VfId_rejects_and_names_the_value(string text)
    {
        Assert.False(VfId.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void VfId_of_rejects_negative_index()
    {
        var ex = Assert.Throws<FormatException>(() => VfId.Of(PfId.Parse("h/0000:3b:00.0"), -1));
        Assert.Contains("-1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vm-1")]
    [InlineData("VM.prod_42")]
    [InlineData("x")]
    public void WorkloadId_accepts_and_round_trips(string text) =>
        Assert.Equal(text, WorkloadId.Parse(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("-vm")]
    [InlineData("vm 1")]
    [InlineData("vm/1")]
    public void WorkloadId_rejects_and_names_the_value(string text)
    {
        Assert.False(WorkloadId.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkloadId_rejects_129_characters() =>
        Assert.False(WorkloadId.TryParse(new string('a', 129), out _, out _));

    [Theory]
    [InlineData("m-01j9zx3k8e4q7w2r5t6y8u9v0p")]
    [InlineData("abc")]
    [InlineData("my-idempotency-key-7")]
    public void MigrationId_accepts_and_round_trips(string text) =>
        Assert.Equal(text, MigrationId.Parse(text).ToString());

    [Theory]
    [InlineData("ab")]
    [InlineData("M-ABC")]
    [InlineData("m_abc")]
    [InlineData("")]
    public void MigrationId_rejects_and_names_the_value(string text)
    {
        Assert.False(MigrationId.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MigrationId_new_is_deterministic_in_its_randomness()
    {
        var a = MigrationId.New(new Random(7));
        var b = MigrationId.New(new Random(7));
        var c = MigrationId.New(new Random(8));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(28, a.Value.Length);
        Assert.StartsWith("m-", a.Value, StringComparison.Ordinal);
        Assert.Equal(a, MigrationId.Parse(a.ToString()));
    }

    [Fact]
    public void MigrationId_from_guid_encodes_all_bits()
    {
        Assert.Equal("m-00000000000000000000000000", MigrationId.New(Guid.Empty).Value);
        var g = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        Assert.Equal(MigrationId.New(g), MigrationId.New(g));
        Assert.NotEqual(MigrationId.New(g), MigrationId.New(Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1")));
    }

    [Fact]
    public void MigrationId_with_time_sorts_by_time()
    {
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var earlier = MigrationId.New(t0, new Random(99));
        var later = MigrationId.New(t0.AddMilliseconds(1), new Random(1));
        Assert.True(earlier < later);
        Assert.Equal(28, later.Value.Length);
        Assert.True(MigrationId.TryParse(later.Value, out _, out _));
    }

    [Fact]
    public void Epoch_orders_and_advances()
    {
        var e0 = Epoch.Zero;
        var e1 = e0.Next();
        Assert.True(e0 < e1);
        Assert.True(e1 > e0);
        Assert.True(e0 <= Epoch.Of(0) && e0 >= Epoch.Of(0));
        Assert.Equal(1, e1.Value);
        Assert.Equal(Epoch.Of(1), e1);
        Assert.Equal("1", e1.ToString());
        Assert.Equal(e1, Epoch.Parse("1"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("01")]
    [InlineData("x")]
    [InlineData("")]
    public void Epoch_rejects_and_names_the_value(string text)
    {
        Assert.False(Epoch.TryParse(text, out _, out var error));
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Epoch_of_rejects_negative() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Epoch.Of(-3));

    [Property(MaxTest = 200)]
    public Property Vf_ids_round_trip(byte hostSeed, ushort domain, byte bus, byte device, byte function, ushort index)
    {
        var host = HostId.Parse("h" + hostSeed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var address = $"{domain:x4}:{bus:x2}:{device % 32:x2}.{function % 8}";
        var vf = PfId.Of(host, address).Vf(index % (VfId.MaxIndex + 1));
        return (VfId.Parse(vf.ToString()) == vf).ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property Epochs_round_trip(NonNegativeInt n) =>
        (Epoch.Parse(Epoch.Of(n.Get).ToString()) == Epoch.Of(n.Get)).ToProperty();

    [Property(MaxTest = 100)]
    public Property Generated_migration_ids_parse(int seed) =>
        MigrationId.TryParse(MigrationId.New(new Random(seed)).Value, out _, out _).ToProperty();
}
