using System.Text.Json;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Tests.Contract;

/// <summary>Every FROM→TO of every defined flag set against the kernel-generated <c>vfio-fsm.json</c>.</summary>
public class VfioFsmConformanceTests
{
    private static readonly Lazy<JsonDocument> Reference =
        new(() => JsonDocument.Parse(System.IO.File.ReadAllText(SharedReference.File("vfio-fsm.json"))));

    public static TheoryData<string> FlagSets() => new(VfioNames.DefinedFlagSets.Select(f => f.Name()));

    [Fact]
    public void State_values_and_flags_match_the_uapi()
    {
        var root = Reference.Value.RootElement;
        foreach (var state in root.GetProperty("states").EnumerateObject())
        {
            Assert.True(VfioNames.TryParseState(state.Name, out var parsed));
            Assert.Equal(state.Value.GetInt32(), (int)parsed);
            Assert.Equal(state.Name, parsed.Name());
        }

        foreach (var flag in root.GetProperty("flags").EnumerateObject())
        {
            Assert.Equal(flag.Value.GetUInt64(), flag.Name switch
            {
                "STOP_COPY" => (ulong)MigrationFlags.StopCopy,
                "P2P" => (ulong)MigrationFlags.P2P,
                "PRE_COPY" => (ulong)MigrationFlags.PreCopy,
                _ => throw new InvalidOperationException(flag.Name),
            });
        }

        Assert.Equal(8, VfioFsm.StateCount);
    }

    [Theory]
    [MemberData(nameof(FlagSets))]
    public void Supported_states_match(string flagSet)
    {
        Assert.True(VfioNames.TryParseFlags(flagSet, out var flags, out _));
        var expected = Reference.Value.RootElement.GetProperty("supported_states").GetProperty(flagSet)
            .EnumerateArray().Select(e => e.GetString()!).OrderBy(s => s, StringComparer.Ordinal);
        Assert.Equal(expected, VfioFsm.SupportedStates(flags).Select(s => s.Name()).OrderBy(s => s, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(FlagSets))]
    public void Next_step_matches_for_all_64_requests(string flagSet)
    {
        Assert.True(VfioNames.TryParseFlags(flagSet, out var flags, out _));
        var table = Reference.Value.RootElement.GetProperty("next_step").GetProperty(flagSet);
        var reasons = Reference.Value.RootElement.GetProperty("refusal_reason").GetProperty(flagSet);
        var checkedCount = 0;
        foreach (var from in VfioNames.AllStates)
        {
            foreach (var to in VfioNames.AllStates)
            {
                var key = $"{from.Name()}->{to.Name()}";
                var expected = table.GetProperty(key);
                var step = VfioFsm.NextStep(flags, from, to);
                if (expected.ValueKind == JsonValueKind.Null)
                {
                    Assert.False(step.IsAllowed, key);
                    var reason = reasons.GetProperty(key).GetString()!;
                    Assert.Equal(
                        reason.Contains("cur unsupported", StringComparison.Ordinal) ? FsmRefusal.FromUnsupported : FsmRefusal.TargetUnsupported,
                        step.Refusal);
                }
                else if (expected.GetString() == "ERROR")
                {
                    // The table entry is ERROR: the patched kernel refuses with -EINVAL, state unchanged.
                    Assert.Equal(FsmRefusal.BlockedArc, step.Refusal);
                    Assert.StartsWith("KERNEL_LOOP", reasons.GetProperty(key).GetString(), StringComparison.Ordinal);
                }
                else
                {
                    Assert.True(step.IsAllowed, key);
                    Assert.Equal(expected.GetString(), step.Next!.Value.Name());
                }

                checkedCount++;
            }
        }

        Assert.Equal(64, checkedCount);
    }

    [Theory]
    [MemberData(nameof(FlagSets))]
    public void Whole_paths_match_for_all_64_requests(string flagSet)
    {
        Assert.True(VfioNames.TryParseFlags(flagSet, out var flags, out _));
        var table = Reference.Value.RootElement.GetProperty("paths").GetProperty(flagSet);
        var checkedCount = 0;
        foreach (var from in VfioNames.AllStates)
        {
            foreach (var to in VfioNames.AllStates)
            {
                var key = $"{from.Name()}->{to.Name()}";
                var expected = table.GetProperty(key);
                var path = VfioFsm.Path(flags, from, to);
                if (expected.ValueKind == JsonValueKind.Null)
                {
                    Assert.False(path.IsAllowed, key);
                }
                else
                {
                    Assert.True(path.IsAllowed, key);
                    Assert.Equal(expected.EnumerateArray().Select(e => e.GetString()), path.States.Select(s => s.Name()));
                }

                checkedCount++;
            }
        }

        Assert.Equal(64, checkedCount);
    }

    [Fact]
    public void Paths_pass_through_a_saving_state_only_between_two_saving_states()
    {
        foreach (var flags in VfioNames.DefinedFlagSets)
        {
            foreach (var from in VfioNames.AllStates)
            {
                foreach (var to in VfioNames.AllStates)
                {
                    var path = VfioFsm.Path(flags, from, to);
                    if (VfioFsm.IsSavingState(from) && VfioFsm.IsSavingState(to))
                    {
                        continue; // PRE_COPY -> PRE_COPY_P2P -> STOP_COPY keeps the same data stream.
                    }

                    for (var i = 1; i < path.States.Count - 1; i++)
                    {
                        Assert.False(VfioFsm.IsSavingState(path.States[i]), $"{flags.Name()} {from.Name()}->{to.Name()}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("STOP_COPY", "RESUMING->STOP,STOP->RESUMING,STOP->STOP_COPY,STOP_COPY->STOP,RUNNING->STOP,STOP->RUNNING")]
    [InlineData("STOP_COPY|P2P", "RESUMING->STOP,STOP->RESUMING,STOP->STOP_COPY,STOP_COPY->STOP,RUNNING->RUNNING_P2P,RUNNING_P2P->RUNNING,RUNNING_P2P->STOP,STOP->RUNNING_P2P")]
    [InlineData("STOP_COPY|PRE_COPY", "RESUMING->STOP,STOP->RESUMING,STOP->STOP_COPY,STOP_COPY->STOP,RUNNING->STOP,STOP->RUNNING,RUNNING->PRE_COPY,PRE_COPY->RUNNING,PRE_COPY->STOP_COPY")]
    [InlineData("STOP_COPY|P2P|PRE_COPY", "RESUMING->STOP,STOP->RESUMING,STOP->STOP_COPY,STOP_COPY->STOP,RUNNING->RUNNING_P2P,RUNNING_P2P->RUNNING,RUNNING_P2P->STOP,STOP->RUNNING_P2P,PRE_COPY->RUNNING,PRE_COPY->PRE_COPY_P2P,PRE_COPY_P2P->PRE_COPY,PRE_COPY_P2P->RUNNING_P2P,PRE_COPY_P2P->STOP_COPY,RUNNING->PRE_COPY,RUNNING_P2P->PRE_COPY_P2P")]
    public void Direct_arcs_are_exactly_the_driver_contract(string flagSet, string arcs)
    {
        // drivers/vfio/vfio_main.c, comment above vfio_from_fsm_table: the arcs each flag set's driver must implement.
        Assert.True(VfioNames.TryParseFlags(flagSet, out var flags, out _));
        var expected = arcs.Split(',').OrderBy(a => a, StringComparer.Ordinal);
        var actual = VfioFsm.DirectArcs(flags).Select(a => $"{a.From.Name()}->{a.To.Name()}").OrderBy(a => a, StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("P2P", false)]
    [InlineData("STOP_COPY,BOGUS", false)]
    [InlineData("stop-copy,p2p", true)]
    [InlineData("STOP_COPY|P2P|PRE_COPY", true)]
    public void Flag_parsing_names_the_bad_value(string text, bool ok)
    {
        Assert.Equal(ok, VfioNames.TryParseFlags(text, out _, out var error));
        if (!ok)
        {
            Assert.False(string.IsNullOrEmpty(error));
            if (text.Contains("BOGUS", StringComparison.Ordinal))
            {
                Assert.Contains("BOGUS", error, StringComparison.Ordinal);
            }
        }
    }
}
