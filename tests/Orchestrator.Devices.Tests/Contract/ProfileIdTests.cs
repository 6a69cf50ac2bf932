using System.Text.Json;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Devices.Tests.Contract;

public class ProfileIdTests
{
    [Theory]
    [InlineData("eth-small")]
    [InlineData("qm-4qp")]
    [InlineData("ETH.v2_full")]
    public void A_well_spelled_profile_parses_and_prints_itself(string text)
    {
        var id = ProfileId.Parse(text);
        Assert.Equal(text, id.ToString());
        Assert.Equal(id, ProfileId.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-eth")]
    [InlineData("eth small")]
    [InlineData("eth/small")]
    public void A_badly_spelled_profile_is_refused_with_its_text(string text)
    {
        Assert.False(ProfileId.TryParse(text, out _, out var error));
        Assert.Contains($"profile '{text}' is invalid", error, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", Assert.Throws<FormatException>(() => ProfileId.Parse(text)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_json_a_profile_is_its_text_as_when_profiles_were_strings()
    {
        var vf = new VfDescriptor(3, VfKind.Vfio, ProfileId.Parse("eth-small"), VfioDeviceState.Running);
        var json = JsonSerializer.Serialize(vf);
        Assert.Contains("\"Profile\":\"eth-small\"", json, StringComparison.Ordinal);
        Assert.Equal(vf, JsonSerializer.Deserialize<VfDescriptor>(json));

        var bad = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<VfDescriptor>(json.Replace("eth-small", "eth small", StringComparison.Ordinal)));
        Assert.Contains("profile 'eth small' is invalid", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_driver_models_profile_is_a_well_spelled_id()
    {
        foreach (var model in DriverModels.All)
        {
            foreach (var profile in model.Profiles)
            {
                Assert.Equal(profile.Name, profile.Id.Value);
                Assert.Same(profile, model.FindProfile(profile.Id));
            }
        }
    }
}
