using System.CommandLine;
using System.Text.Json;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Node.Cli;

/// <summary>
/// <c>orchestrator fsm</c>: the path the kernel would walk for a state request, or why it refuses; with
/// <c>--all --json</c>, the whole table in the shape of the <c>paths</c> object of <c>vfio-fsm.json</c>.
/// </summary>
internal static class FsmCommand
{
    public static Command Create()
    {
        var flags = new Option<string>("--flags")
        {
            Description = "Migration flag set, e.g. STOP_COPY,P2P,PRE_COPY (default: all three)",
            DefaultValueFactory = _ => "STOP_COPY,P2P,PRE_COPY",
        };
        var from = new Option<string?>("--from") { Description = "Current state, e.g. RUNNING" };
        var to = new Option<string?>("--to") { Description = "Requested state, e.g. STOP_COPY" };
        var all = new Option<bool>("--all") { Description = "Every FROM->TO for the four defined flag sets" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var command = new Command("fsm", "Show how the VFIO migration state machine walks a request (kernel vfio_mig_get_next_state)")
        {
            flags, from, to, all, json,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(all))
            {
                return PrintAll(parse.GetValue(json));
            }

            if (!VfioNames.TryParseFlags(parse.GetValue(flags), out var flagSet, out var flagError))
            {
                return Fail($"--flags: {flagError}");
            }

            var fromText = parse.GetValue(from);
            var toText = parse.GetValue(to);
            if (fromText is null || toText is null)
            {
                return Fail("give --from and --to (or --all)");
            }

            if (!VfioNames.TryParseState(fromText, out var fromState))
            {
                return Fail($"--from: unknown state '{fromText}'; expected one of {string.Join(", ", VfioNames.AllStates.Select(s => s.Name()))}");
            }

            if (!VfioNames.TryParseState(toText, out var toState))
            {
                return Fail($"--to: unknown state '{toText}'; expected one of {string.Join(", ", VfioNames.AllStates.Select(s => s.Name()))}");
            }

            var path = VfioFsm.Path(flagSet, fromState, toState);
            if (parse.GetValue(json))
            {
                var doc = new Dictionary<string, object?>
                {
                    ["flags"] = flagSet.Name(),
                    ["from"] = fromState.Name(),
                    ["to"] = toState.Name(),
                    ["path"] = path.IsAllowed ? path.States.Select(s => s.Name()).ToArray() : null,
                    ["refusal"] = path.Refusal is { } r ? Describe(r) : null,
                };
                Console.WriteLine(JsonSerializer.Serialize(doc));
            }
            else if (path.IsAllowed)
            {
                Console.WriteLine(string.Join(" -> ", path.States.Select(s => s.Name())));
                Console.WriteLine($"{path.States.Count - 1} arc(s) for flags {flagSet.Name()}");
            }
            else
            {
                Console.WriteLine($"refused: {fromState.Name()} -> {toState.Name()} with flags {flagSet.Name()}: {Describe(path.Refusal!.Value)}");
            }

            return path.IsAllowed ? 0 : 3;
        });
        return command;
    }

    /// <summary>Why the kernel refuses, in words an operator reads.</summary>
    internal static string Describe(FsmRefusal refusal) => refusal switch
    {
        FsmRefusal.FromUnsupported => "EINVAL: the current state is not supported by this flag set (kernel WARN_ON); in ERROR only a reset helps",
        FsmRefusal.TargetUnsupported => "EINVAL: the requested state is not supported by this flag set (ERROR is never requestable)",
        FsmRefusal.BlockedArc => "EINVAL: STOP_COPY cannot go back to pre-copy (the table's ERROR entry)",
        _ => refusal.ToString(),
    };

    private static int PrintAll(bool json)
    {
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
            writer.WriteStartObject();
            foreach (var flagSet in VfioNames.DefinedFlagSets)
            {
                writer.WriteStartObject(flagSet.Name());
                foreach (var from in VfioNames.AllStates)
                {
                    foreach (var to in VfioNames.AllStates)
                    {
                        var path = VfioFsm.Path(flagSet, from, to);
                        writer.WritePropertyName($"{from.Name()}->{to.Name()}");
                        if (!path.IsAllowed)
                        {
                            writer.WriteNullValue();
                            continue;
                        }

                        writer.WriteStartArray();
                        foreach (var s in path.States)
                        {
                            writer.WriteStringValue(s.Name());
                        }

                        writer.WriteEndArray();
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.Flush();
            Console.WriteLine();
            return 0;
        }

        foreach (var flagSet in VfioNames.DefinedFlagSets)
        {
            Console.WriteLine($"== {flagSet.Name()}: states {string.Join(", ", VfioFsm.SupportedStates(flagSet).Select(s => s.Name()))}");
            foreach (var from in VfioNames.AllStates)
            {
                foreach (var to in VfioNames.AllStates)
                {
                    var path = VfioFsm.Path(flagSet, from, to);
                    if (path.IsAllowed && from != to)
                    {
                        Console.WriteLine($"  {from.Name(),-12} -> {to.Name(),-12} : {string.Join(" -> ", path.States.Select(s => s.Name()))}");
                    }
                }
            }
        }

        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"orchestrator fsm: {message}");
        return 2;
    }
}
