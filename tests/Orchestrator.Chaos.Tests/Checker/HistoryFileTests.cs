using System.Text.Json;
using Orchestrator.Chaos.Checker;
using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Tests.Checker;

public sealed class HistoryFileTests : IDisposable
{
    private static readonly DateTimeOffset T0 = HistoryBuilder.Origin;
    private readonly string _dir = Directory.CreateTempSubdirectory("history-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Two_files_round_trip_and_merge_skipping_a_torn_last_line()
    {
        var clock = new ManualTime(T0);
        var pathA = Path.Combine(_dir, "host-a.jsonl");
        var pathB = Path.Combine(_dir, "host-b.jsonl");
        var written = new List<HistoryRecord>();
        using (var a = new HistoryWriter(pathA, "host-a", clock))
        using (var b = new HistoryWriter(pathB, "host-b", clock))
        {
            written.Add(a.Append(Created("host-a/0000:3b:00.0/vf3")));
            clock.Now += TimeSpan.FromTicks(3); // sub-microsecond apart: the 7th digit must survive
            written.Add(b.Append(new SlotChanged { Host = "host-b", Pf = "host-b/0000:3b:00.0", Migration = "m-1", Op = SlotOp.Acquire, Kind = SlotKind.Vf }));
            clock.Now += TimeSpan.FromMilliseconds(1);
            written.Add(a.Append(new VfStateChanged { Host = "host-a", Pf = "host-a/0000:3b:00.0", Vf = "host-a/0000:3b:00.0/vf3", From = "RUNNING", To = "PRE_COPY", Migration = "m-1", Epoch = 3 }));
            written.Add(b.Append(new ClientOperation { Op = "migrate", Outcome = ClientOutcome.Indeterminate, Start = T0, End = clock.Now, Workload = "vm-1" }));
        }

        // host-b was killed in the middle of its next line.
        File.AppendAllText(pathB, "{\"type\":\"vf-state\",\"t\":\"2025-05-01T10:00");

        var result = HistoryReader.ReadFiles([pathA, pathB]);

        Assert.Equal(written, result.Records);
        var torn = Assert.Single(result.Skipped);
        Assert.Equal((pathB, 3), (torn.Path, torn.LineNumber));
        Assert.Equal([0L, 0L, 1L, 1L], result.Records.Select(r => r.Seq));
    }

    [Fact]
    public void Merge_orders_by_time_then_node_then_seq()
    {
        var clock = new ManualTime(T0);
        var pathA = Path.Combine(_dir, "a.jsonl");
        var pathB = Path.Combine(_dir, "b.jsonl");
        using (var b = new HistoryWriter(pathB, "host-b", clock))
        using (var a = new HistoryWriter(pathA, "host-a", clock))
        {
            clock.Now = T0 + TimeSpan.FromTicks(5);
            b.Append(Fault("b-late"));
            clock.Now = T0;
            b.Append(Fault("b-0")); // the clock stepped back: the writer repeats its last time, seq keeps order
            a.Append(Fault("a-0"));
            a.Append(Fault("a-1"));
            clock.Now = T0 + TimeSpan.FromTicks(5);
            a.Append(Fault("a-2"));
        }

        var order = HistoryReader.ReadFiles([pathB, pathA]).Records.Select(r => ((FaultInjected)r).Target);

        Assert.Equal(["a-0", "a-1", "a-2", "b-late", "b-0"], order);
    }

    [Fact]
    public void Line_format_has_type_first_seven_digit_utc_times_kebab_enums_and_no_nulls()
    {
        var clock = new ManualTime(new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.FromHours(2)) + TimeSpan.FromTicks(1));
        var path = Path.Combine(_dir, "f.jsonl");
        using (var w = new HistoryWriter(path, "host-b", clock))
        {
            w.Append(new SlotChanged { Host = "host-b", Pf = "host-b/0000:3b:00.0", Migration = "m-1", Op = SlotOp.Release, Kind = SlotKind.Migration });
        }

        var line = File.ReadAllText(path);

        Assert.Equal(
            "{\"type\":\"slot\",\"t\":\"2025-05-01T10:00:00.0000001Z\",\"seq\":0,\"node\":\"host-b\",\"host\":\"host-b\",\"pf\":\"host-b/0000:3b:00.0\",\"migration\":\"m-1\",\"op\":\"release\",\"kind\":\"migration\"}\n",
            line);
    }

    [Fact]
    public void Every_kind_round_trips_through_one_line()
    {
        HistoryRecord[] all =
        [
            Created("h/p/vf0") with { Migration = "m-1", Epoch = 2, State = "RESUMING" },
            new VfDestroyed { Host = "h", Pf = "h/p", Vf = "h/p/vf0", Workload = "vm-1", Migration = "m-1", Epoch = 2 },
            new VfStateChanged { Host = "h", Pf = "h/p", Vf = "h/p/vf0", From = "RUNNING", To = "PRE_COPY_P2P", Workload = "vm-1" },
            new VfReset { Host = "h", Pf = "h/p", Vf = "h/p/vf0", From = "ERROR", Detached = true },
            new StateSaved { Host = "h", Pf = "h/p", Vf = "h/p/vf0", Migration = "m-1", Epoch = 2, Bytes = 1L << 40, Checksum = "ab", Pair = "h/p/vf0" },
            new StateLoaded { Host = "g", Pf = "g/p", Vf = "g/p/vf1", Migration = "m-1", Epoch = 2, Bytes = 7, Checksum = "ab" },
            new CommandFenced { Host = "h", Pf = "h/p", Migration = "m-1", Epoch = 1, CurrentEpoch = 2, Command = "Destroy" },
            new SlotChanged { Host = "h", Pf = "h/p", Migration = "m-1", Op = SlotOp.Acquire, Kind = SlotKind.Vf, Epoch = 1 },
            new ReservationChanged { Host = "h", Migration = "m-1", Op = ReservationOp.Reserve },
            new MigrationStateChanged { Migration = "m-1", Workload = "vm-1", State = "RolledBack", Epoch = 2, SourceHost = "h", TargetHost = "g", Reason = "device ERROR" },
            new ClientOperation { Op = "evacuate", Host = "h", Outcome = ClientOutcome.Failed, Start = T0, End = T0 + TimeSpan.FromTicks(1), Detail = "409" },
            new ClientOperation { Op = "delete-vf", Pf = "h/p", Vf = "h/p/vf0", Force = true, Outcome = ClientOutcome.Ok, Start = T0, End = T0 + TimeSpan.FromTicks(1) },
            new FaultInjected { Id = "f1", Kind = "pause", Target = "host-a", Start = T0, End = T0 + TimeSpan.FromSeconds(3) },
        ];

        foreach (var record in all)
        {
            var stamped = record with { Time = T0 + TimeSpan.FromTicks(123), Seq = 9, Node = "n" };
            Assert.Equal(stamped, HistoryJson.Deserialize(HistoryJson.Serialize(stamped)));
        }
    }

    [Fact]
    public void A_client_op_line_written_before_vf_and_force_existed_still_reads()
    {
        var r = HistoryJson.Deserialize("{\"type\":\"client-op\",\"t\":\"2025-05-01T10:00:00.0000000Z\",\"seq\":1,\"node\":\"client\",\"op\":\"migrate\",\"workload\":\"vm-1\",\"outcome\":\"ok\",\"start\":\"2025-05-01T10:00:00.0000000Z\",\"end\":\"2025-05-01T10:00:00.0000000Z\"}");

        var op = Assert.IsType<ClientOperation>(r);
        Assert.Null(op.Vf);
        Assert.Null(op.Pf);
        Assert.Null(op.Force);
        Assert.DoesNotContain("force", HistoryJson.Serialize(op), StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_from_other_tools_may_put_type_anywhere_and_use_offsets()
    {
        var r = HistoryJson.Deserialize("{\"node\":\"py\",\"seq\":4,\"t\":\"2025-05-01T12:00:00.5+02:00\",\"type\":\"fault\",\"kind\":\"db\",\"target\":\"postgres\",\"start\":\"2025-05-01T10:00:00Z\"}");

        var fault = Assert.IsType<FaultInjected>(r);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(500), fault.Time);
        Assert.Equal(TimeSpan.Zero, fault.Time.Offset);
        Assert.Null(fault.End);
    }

    [Fact]
    public void A_bad_line_that_is_not_the_torn_tail_is_corruption()
    {
        var line = HistoryJson.Serialize(Fault("x"));

        var missingField = Assert.Throws<HistoryFormatException>(() =>
            HistoryReader.ReadText("f", line + "\n{\"type\":\"fault\",\"t\":\"2025-05-01T10:00:00Z\",\"kind\":\"db\"}\n" + line + "\n"));
        Assert.Equal(2, missingField.LineNumber);
        // A complete last line, newline and all, that does not parse was not torn by a kill either.
        Assert.Throws<HistoryFormatException>(() => HistoryReader.ReadText("f", line + "\n{\"type\":\"nope\"}\n"));
    }

    [Fact]
    public void Reopening_cuts_the_torn_tail_and_continues_seq()
    {
        var clock = new ManualTime(T0);
        var path = Path.Combine(_dir, "host-a.jsonl");
        using (var w = new HistoryWriter(path, "host-a", clock))
        {
            w.Append(Fault("0"));
            w.Append(Fault("1"));
        }

        File.AppendAllText(path, "{\"type\":\"fau");
        using (var w = new HistoryWriter(path, "host-a", clock))
        {
            Assert.Equal(2, w.Append(Fault("2")).Seq);
        }

        var result = HistoryReader.ReadFiles([path]);
        Assert.Empty(result.Skipped);
        Assert.Equal([0L, 1L, 2L], result.Records.Select(r => r.Seq));
    }

    [Fact]
    public void Concurrent_appends_get_distinct_seqs_and_whole_lines()
    {
        var path = Path.Combine(_dir, "busy.jsonl");
        using (var w = new HistoryWriter(path, "host-a"))
        {
            Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => w.Append(Fault(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        var records = HistoryReader.ReadFiles([path]).Records;

        Assert.Equal(Enumerable.Range(0, 400).Select(i => (long)i), records.Select(r => r.Seq).Order());
        // Within one writer, time order and seq order agree.
        Assert.Equal(records.Select(r => r.Seq).Order(), records.Select(r => r.Seq));
    }

    [Fact]
    public void Json_exception_type_is_what_deserialize_throws_for_garbage() =>
        Assert.ThrowsAny<JsonException>(() => HistoryJson.Deserialize("{\"type\":\"vf-state\""));

    private static VfCreated Created(string vf) =>
        new() { Host = vf.Split('/')[0], Pf = vf[..vf.LastIndexOf('/')], Vf = vf, Kind = "vfio", Profile = "p", Workload = "vm-1" };

    private static FaultInjected Fault(string target) => new() { Kind = "kill", Target = target, Start = T0 };
}
