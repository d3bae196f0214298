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
