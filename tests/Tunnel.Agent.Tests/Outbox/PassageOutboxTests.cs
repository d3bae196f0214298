using Tunnel.Agent.Outbox;
using Tunnel.Core.Contracts;

namespace Tunnel.Agent.Tests.Outbox;

public sealed class PassageOutboxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-outbox-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static Passage Draft(string plate, int minute = 0) => new()
    {
        EventId = Guid.Empty, AgentId = "maoliling-north-entry-1", Seq = 0, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
        Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = new DateTimeOffset(2026, 11, 22, 8, minute, 0, TimeSpan.Zero),
        Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.9 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
    };

    [Fact]
    public void Numbers_passages_in_order_and_keeps_them_across_a_restart()
    {
        using (var outbox = PassageOutbox.Open(_dir, "a"))
        {
            var first = outbox.Add(Draft("浙J00001"), snapshot: null);
            var second = outbox.Add(Draft("浙J00002"), snapshot: [0xFF, 0xD8, 0xFF, 0xD9]);
            Assert.Equal((1, 2), (first.Seq, second.Seq));
            Assert.NotEqual(first.EventId, second.EventId);
            Assert.Null(first.Snapshot);
            Assert.Equal(Topics.SnapshotReference(second.EventId), second.Snapshot);
        }
        using (var reopened = PassageOutbox.Open(_dir, "a"))
        {
            Assert.Equal(2, reopened.LastSeq);
            Assert.Equal(2, reopened.Depth);
            var entries = reopened.Read(1, 10);
            Assert.Equal([1L, 2L], entries.Select(e => e.Seq));
            Assert.Equal("浙J00002", TunnelJson.Deserialize<Passage>(System.Text.Encoding.UTF8.GetString(entries[1].Payload))!.Plate!.Text);
            Assert.NotNull(entries[1].Snapshot);
            Assert.Equal(3, reopened.Add(Draft("浙J00003"), null).Seq);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_data_directory_holding_plates_and_snapshots_is_the_agents_own()
    {
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var data = Path.Combine(_dir, "data");
        using (var outbox = PassageOutbox.Open(data, "a")) outbox.Add(Draft("浙J00001"), snapshot: [0xFF, 0xD8, 0xFF, 0xD9]);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(data) & others);
        // One an older build made open to others.
        File.SetUnixFileMode(data, File.GetUnixFileMode(data) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        using (PassageOutbox.Open(data, "a")) Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(data) & others);
    }

    [Fact]
    public void Confirmed_passages_leave_and_numbering_never_goes_back()
    {
        using var outbox = PassageOutbox.Open(_dir, "a");
        for (var i = 0; i < 5; i++) outbox.Add(Draft($"浙J0000{i}"), null);
        outbox.Confirm(3);
        Assert.Equal([4L, 5L], outbox.Read(0, 10).Select(e => e.Seq));
        outbox.Confirm(2); // an old acknowledgement arriving late changes nothing
        Assert.Equal(2, outbox.Depth);
        outbox.Confirm(99); // beyond what this outbox issued: only its own passages go
        Assert.Equal((0, 5L), (outbox.Depth, outbox.ConfirmedThrough));
        Assert.Equal(6, outbox.Add(Draft("浙J00006"), null).Seq);
    }

    [Fact]
    public void A_replaced_outbox_continues_after_what_the_central_service_already_holds()
    {
        using var outbox = PassageOutbox.Open(_dir, "a");
        outbox.ContinueAfter(41);
        Assert.Equal(42, outbox.Add(Draft("浙J00042"), null).Seq);
        outbox.ContinueAfter(10);
        Assert.Equal(43, outbox.Add(Draft("浙J00043"), null).Seq);
    }

    [Fact]
    public void Passages_waiting_when_an_acknowledgement_from_an_earlier_outbox_arrives_are_numbered_after_it_not_confirmed()
    {
        var jpeg = new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 };
        Passage[] kept;
        using (var outbox = PassageOutbox.Open(_dir, "a"))
        {
            kept = [outbox.Add(Draft("浙J00001"), null), outbox.Add(Draft("浙J00002"), jpeg), outbox.Add(Draft("浙J00003"), null)];
            outbox.Confirm(1);

            // The central service stored 1042 passages of this agent's earlier outbox file.
            Assert.Equal(new Renumbering(2, 2, 3, 1043, 1044), outbox.ContinueAfter(1042));
            // Its acknowledgement, taken again (retained, or repeated), is no longer beyond this outbox and confirms nothing.
            Assert.Null(outbox.ContinueAfter(1042));
            outbox.Confirm(1042);

            var waiting = outbox.Read(0, 10);
            Assert.Equal([1043L, 1044L], waiting.Select(e => e.Seq));
            Assert.Equal([kept[1].EventId, kept[2].EventId], waiting.Select(e => e.EventId));
            var sent = waiting.Select(e => TunnelJson.Deserialize<Passage>(System.Text.Encoding.UTF8.GetString(e.Payload))!).ToList();
            Assert.Equal([1043L, 1044L], sent.Select(p => p.Seq));
            // Nothing else of the passage changes, its event id least of all: the service knows a re-send by it.
            Assert.Equal([kept[1] with { Seq = 1043 }, kept[2] with { Seq = 1044 }], sent);
            Assert.Equal(jpeg, waiting[0].Snapshot);
            Assert.Equal((2, 1042L, 1044L), (outbox.Depth, outbox.ConfirmedThrough, outbox.LastSeq));
            Assert.Equal(1045, outbox.Add(Draft("浙J00004"), null).Seq);
        }
        using (var reopened = PassageOutbox.Open(_dir, "a"))
        {
            Assert.Equal((3, 1042L, 1045L), (reopened.Depth, reopened.ConfirmedThrough, reopened.LastSeq));
            Assert.Equal([1043L, 1044L, 1045L], reopened.Read(0, 10).Select(e => e.Seq));
            reopened.Confirm(1045);
            Assert.Equal(0, reopened.Depth);
        }
    }

    [Fact]
    public void A_new_file_takes_the_first_acknowledgement_it_meets_for_an_earlier_files_however_far_it_has_counted()
    {
        using (var outbox = PassageOutbox.Open(_dir, "a"))
        {
            Assert.False(outbox.NumberingKnown);
            var kept = Enumerable.Range(1, 5).Select(i => outbox.Add(Draft($"浙J{i:00000}"), null)).ToList();
            // The service holds 1-3 of the agent's earlier file: confirming 3 would delete three passages it never had.
            Assert.Equal(new Renumbering(5, 1, 5, 4, 8), outbox.ContinueAfter(3));
            Assert.True(outbox.NumberingKnown);
            var waiting = outbox.Read(0, 10);
            Assert.Equal([4L, 5L, 6L, 7L, 8L], waiting.Select(e => e.Seq));
            Assert.Equal(kept.Select(p => p.EventId), waiting.Select(e => e.EventId));
            Assert.Equal([4L, 5L, 6L, 7L, 8L], waiting.Select(e => TunnelJson.Deserialize<Passage>(System.Text.Encoding.UTF8.GetString(e.Payload))!.Seq));
            // From now on its acknowledgements count this file's numbers.
            Assert.Null(outbox.ContinueAfter(6));
            outbox.Confirm(6);
            Assert.Equal([7L, 8L], outbox.Read(0, 10).Select(e => e.Seq));
        }
        using (var reopened = PassageOutbox.Open(_dir, "a"))
        {
            Assert.True(reopened.NumberingKnown);
            Assert.Equal((6L, 8L), (reopened.ConfirmedThrough, reopened.LastSeq));
        }
    }

    [Fact]
    public void Renumbered_passages_go_after_the_highest_number_the_service_holds_not_only_after_the_gap_below_it()
    {
        using var outbox = PassageOutbox.Open(_dir, "a");
        for (var i = 1; i <= 3; i++) outbox.Add(Draft($"浙J0000{i}"), null);
        // The service holds 1-2 and 4-5 of the earlier file, whose 3 went with its disk: numbered 3-5, two new passages would
        // share a number with stored ones, and the acknowledgement through 5 that the new 3 brings would drop them unsent.
        Assert.Equal(new Renumbering(3, 1, 3, 6, 8), outbox.ContinueAfter(2, highest: 5));
        Assert.Equal([6L, 7L, 8L], outbox.Read(0, 10).Select(e => e.Seq));
        Assert.Equal(5, outbox.ConfirmedThrough);
    }

    [Fact]
    public void A_file_knows_its_numbering_once_marked_or_when_the_service_holds_nothing_and_one_an_older_build_made_knows_it_already()
    {
        using (var outbox = PassageOutbox.Open(_dir, "a"))
        {
            outbox.Add(Draft("浙J00001"), null);
            outbox.MarkNumberingKnown();
        }
        using (var reopened = PassageOutbox.Open(_dir, "a"))
        {
            Assert.True(reopened.NumberingKnown);
            Assert.Null(reopened.ContinueAfter(1));
        }

        using (var outbox = PassageOutbox.Open(_dir, "b"))
        {
            Assert.Null(outbox.ContinueAfter(0));
            Assert.True(outbox.NumberingKnown);
        }

        string older;
        using (var outbox = PassageOutbox.Open(_dir, "c")) older = outbox.Path;
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={older};Pooling=false"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "DELETE FROM counters WHERE name = 'numbering_known'";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        using (var reopened = PassageOutbox.Open(_dir, "c")) Assert.True(reopened.NumberingKnown);
    }

    [Fact]
    public void Snapshots_give_way_to_passages_when_the_budget_is_spent()
    {
        using var outbox = PassageOutbox.Open(_dir, "a", snapshotBudgetBytes: 2500);
        var jpeg = new byte[1000];
        (jpeg[0], jpeg[1]) = (0xFF, 0xD8);
        for (var i = 0; i < 5; i++) outbox.Add(Draft($"浙J0000{i}"), jpeg);
        var entries = outbox.Read(0, 10);
        Assert.Equal(5, entries.Count);
        Assert.Equal([false, false, false, true, true], entries.Select(e => e.Snapshot is not null));
    }
}
