using Microsoft.Data.Sqlite;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Mqtt;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>Passages from agents through the embedded mosquitto (its per-agent users and ACLs) into the central service.</summary>
public sealed class CentralFlowTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly BoreKey North = new("maoliling", "north");
    private readonly TempDirectory _dir = new();
    private CentralHost _host = null!;

    public async Task InitializeAsync() => _host = await Hosts.StartAsync(Hosts.Embedded(_dir.Path), TestOutputLoggerProvider.Factory(output));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    private Task<TestAgent> AgentAsync(string bore, Portal portal, int lane) =>
        TestAgent.ConnectAsync(_host.BrokerHost, _host.BrokerPort, _host.Credentials!.For, bore, portal, lane);

    private long StoredCount(Guid eventId) => _host.Store.ReadPassages(DateTimeOffset.MinValue).Count(p => p.Passage.EventId == eventId);

    [Fact]
    public async Task Passages_of_agents_are_stored_counted_inside_and_acknowledged_up_to_the_highest_contiguous_seq()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        await using var exit = await AgentAsync("north", Portal.Exit, 1);
        var now = DateTimeOffset.UtcNow;
        // A plausible transit for 3.6 km at 80 km/h (162 s): a 30 s one would match nothing.
        var a = await entry.SendAsync(now.AddSeconds(-200), "浙J11111");
        var b = await entry.SendAsync(now.AddSeconds(-190), "浙J22222", VehicleClass.Truck);
        var c = await entry.SendAsync(now.AddSeconds(-180), null);
        var outOfA = await exit.SendAsync(now.AddSeconds(-30), "浙J11111");

        var snapshot = await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 4, StoreBacklog: 0 } s ? s : null, "4 passages accepted");
        var north = Assert.Single(snapshot.Bores, x => x.Bore == North);
        Assert.Equal(2, north.Occupancy);
        Assert.Equal(3, north.Entries);
        Assert.Equal(1, north.Exits);
        Assert.Equal([b.EventId, c.EventId], north.Inside.Select(v => v.EntryEventId));
        Assert.Equal(["浙J22222", null], north.Inside.Select(v => v.Plate));
        Assert.All(snapshot.Bores.Where(x => x.Bore != North), x => Assert.Equal(0, x.Occupancy));

        var stored = _host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage).ToList();
        Assert.Equal(new[] { a, b, c, outOfA }.Select(p => p.EventId).Order(), stored.Select(p => p.EventId).Order());
        var storedB = stored.Single(p => p.EventId == b.EventId);
        Assert.Equal((b.AgentId, b.Seq, b.Lane, b.Plate!.Text, b.Vehicle.Class), (storedB.AgentId, storedB.Seq, storedB.Lane, storedB.Plate!.Text, storedB.Vehicle.Class));
        Assert.Equal(b.CapturedAt.ToUnixTimeMilliseconds(), storedB.CapturedAt.ToUnixTimeMilliseconds());

        // The end-to-end acknowledgement: on the agent's own topic, through its own (read-only) ACL.
        var entryAck = await entry.AckAsync(3);
        Assert.Equal(3, entryAck.StoredThroughSeq);
        Assert.Equal(entry.AgentId, entryAck.AgentId);
        Assert.Equal(1, (await exit.AckAsync(1)).StoredThroughSeq);
        Assert.All(entry.Acks.Items, x => Assert.InRange(x.StoredThroughSeq, 1, 3));
        Assert.Equal(3, _host.Store.HighestStoredSeq(entry.AgentId));
        Assert.Equal(0, _host.Service.Snapshot.DeadLettered);

        // The ended transit is stored for reports (the acks above come after the loop turn that stored it).
        var transit = _host.Store.GetTransit(a.EventId);
        Assert.NotNull(transit);
        Assert.Equal((outOfA.EventId, "浙J11111", "exact"), (transit.ExitEventId, transit.Plate, transit.Status));
        Assert.Equal(170, transit.TransitSeconds!.Value, precision: 0);
        Assert.Null(_host.Store.GetTransit(b.EventId));
    }

    [Fact]
    public async Task A_private_broker_killed_under_the_service_is_started_again_and_passages_flow_as_before()
    {
        var crashed = _host.EmbeddedBrokerProcessId!.Value;
        System.Diagnostics.Process.GetProcessById(crashed).Kill();
        await Wait.UntilAsync(() => _host.EmbeddedBrokerProcessId is { } pid && pid != crashed, "the private broker started again");

        // Same port, same logins: an agent gets in, and the service takes its passage once its own client is back (its
        // reconnects back off up to seconds, and the killed broker kept no session): sent again until acknowledged, as an
        // agent's outbox does.
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        var passage = entry.Next(DateTimeOffset.UtcNow.AddSeconds(-5), "浙J33333");
        AgentAck? ack = null;
        for (var attempt = 1; ack is null; attempt++)
        {
            await entry.PublishAsync(passage);
            try { ack = await entry.AckAsync(1, TimeSpan.FromSeconds(3)); }
            catch (TimeoutException) when (attempt < 20) { }
        }
        Assert.Equal(1, ack.StoredThroughSeq);
        Assert.Equal(1, StoredCount(passage.EventId));
    }

    [Fact]
    public async Task The_engine_decides_while_the_store_is_busy_and_the_acknowledgement_waits_for_the_store()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        Passage p;
        // Another writer holds the database (a backup, a slow disk): the service's commit has to wait.
        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "tunnel.db")};Pooling=False"))
        {
            blocker.Open();
            // BEGIN IMMEDIATE: holds the write lock until disposed (rolled back).
            using var hold = blocker.BeginTransaction();
            p = await entry.SendAsync(DateTimeOffset.UtcNow.AddSeconds(-5), "浙J33333");
            var decided = await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 1 } s ? s : null, "the passage decided");
            Assert.Equal([p.EventId], decided.Bores.Single(x => x.Bore == North).Inside.Select(v => v.EntryEventId));
            Assert.True(decided.StoreBacklog > 0, "decided ahead of the store");
            Assert.Equal(0, StoredCount(p.EventId));
            Assert.Equal(0, entry.LastAck);
        }
        Assert.Equal(1, (await entry.AckAsync(1)).StoredThroughSeq);
        Assert.Equal(1, StoredCount(p.EventId));
        await Wait.UntilAsync(() => _host.Service.Snapshot.StoreBacklog == 0, "nothing left to store");
    }

    [Fact]
    public async Task An_alarm_raised_while_the_store_is_busy_goes_out_only_once_it_is_stored()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        var announced = new System.Collections.Concurrent.ConcurrentQueue<AlarmTransition>();
        _host.Service.AlarmChanged += announced.Enqueue;
        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "tunnel.db")};Pooling=False"))
        {
            blocker.Open();
            using var hold = blocker.BeginTransaction();
            // Inside for half an hour already: overdue the moment the engine takes it.
            await entry.SendAsync(DateTimeOffset.UtcNow.AddMinutes(-30), "浙J44444");
            var raised = await Wait.UntilAsync(() => _host.Service.Snapshot.OpenAlarms.FirstOrDefault(a => a.Plate == "浙J44444"), "the overdue alarm raised");
            Assert.Equal(AlarmKind.Overdue, raised.Kind);
            Assert.Empty(announced);
            Assert.Empty(_host.Store.AlarmHistory(raised.AlarmId));
        }
        var sent = await Wait.UntilAsync(() => announced.FirstOrDefault(t => t.Plate == "浙J44444"), "the alarm announced");
        Assert.Equal(AlarmState.ActiveUnacknowledged, Assert.Single(_host.Store.AlarmHistory(sent.AlarmId)).State);
    }

    [Fact]
    public async Task An_operators_action_while_the_store_is_busy_waits_for_the_store_and_the_engine_goes_on_deciding()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        // Inside for half an hour: overdue the moment the engine takes it.
        await entry.SendAsync(DateTimeOffset.UtcNow.AddMinutes(-30), "浙J55555");
        var raised = await Wait.UntilAsync(() => _host.Store.CurrentAlarms().FirstOrDefault(a => a.Plate == "浙J55555"), "the overdue alarm stored");
        Task acknowledged;
        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "tunnel.db")};Pooling=False"))
        {
            blocker.Open();
            using var hold = blocker.BeginTransaction();
            acknowledged = _host.Service.AcknowledgeAsync(raised.AlarmId, "operator1", note: null);
            // The engine has taken the acknowledgement, and still takes the next passage, while the store waits.
            await Wait.UntilAsync(() => _host.Service.Snapshot.OpenAlarms.Any(a => a.AlarmId == raised.AlarmId && a.State == AlarmState.ActiveAcknowledged),
                "the acknowledgement taken by the engine");
            await entry.SendAsync(DateTimeOffset.UtcNow.AddSeconds(-5), "浙J66666");
            await Wait.UntilAsync(() => _host.Service.Snapshot.Accepted == 2, "a passage decided while the store is held");
            // The operator hears only of what is stored.
            Assert.False(acknowledged.IsCompleted, "answered before the acknowledgement was stored");
        }
        await acknowledged.WaitAsync(Wait.Deadline);
        Assert.Equal(AlarmState.ActiveAcknowledged, _host.Store.AlarmHistory(raised.AlarmId)[^1].State);
    }

    [Fact]
    public async Task Duplicates_change_nothing_and_a_gap_holds_the_ack_back_until_it_fills()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 2);
        var now = DateTimeOffset.UtcNow;
        var p1 = entry.Next(now.AddSeconds(-50), "浙A10001");
        var p2 = entry.Next(now.AddSeconds(-40), "浙A10002");
        var p3 = entry.Next(now.AddSeconds(-30), "浙A10003");
        var p4 = entry.Next(now.AddSeconds(-20), "浙A10004");
        var p5 = entry.Next(now.AddSeconds(-10), "浙A10005");
        foreach (var p in new[] { p1, p2, p4, p5 }) await entry.PublishAsync(p);
        var before = await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 4, StoreBacklog: 0 } s ? s : null, "4 passages accepted");
        Assert.Equal(2, (await entry.AckAsync(2)).StoredThroughSeq);
        var progress = _host.Store.Progress(entry.AgentId);
        Assert.Equal(5, progress.Highest);
        Assert.Equal([new Storage.SeqRange(3, 3)], progress.Gaps);

        // QoS 1 redelivery or an outbox replay: the same event ids again.
        await entry.PublishAsync(p2);
        await entry.PublishAsync(p4);
        var afterDuplicates = await Wait.UntilAsync(() => _host.Service.Snapshot is { Duplicates: 2 } s ? s : null, "2 duplicates counted");
        Assert.Equal(4, afterDuplicates.Accepted);
        Assert.Equal(0, afterDuplicates.DeadLettered);
        Assert.Equal(before.Bores.Single(x => x.Bore == North).Occupancy, afterDuplicates.Bores.Single(x => x.Bore == North).Occupancy);
        Assert.Equal(4, afterDuplicates.Bores.Single(x => x.Bore == North).Entries);
        Assert.Equal(1, StoredCount(p2.EventId));
        Assert.Equal(1, StoredCount(p4.EventId));
        // Every acknowledgement so far, duplicates' batches included, left the missing seq 3 unclaimed.
        Assert.All(entry.Acks.Items, x => Assert.True(x.StoredThroughSeq <= 2, $"acknowledged {x.StoredThroughSeq} while seq 3 was missing"));

        // The late seq 3 fills the gap: one acknowledgement now covers everything.
        await entry.PublishAsync(p3);
        Assert.Equal(5, (await entry.AckAsync(5)).StoredThroughSeq);
        // The loop refreshes its snapshot after acknowledging, so the ack can be ahead of it.
        var final = await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 5, StoreBacklog: 0 } s ? s : null, "5 passages accepted");
        Assert.Equal(5, final.Bores.Single(x => x.Bore == North).Occupancy);
        Assert.Equal(new[] { p1, p2, p3, p4, p5 }.Select(p => p.EventId), final.Bores.Single(x => x.Bore == North).Inside.Select(v => v.EntryEventId));
        Assert.Empty(_host.Store.Progress(entry.AgentId).Gaps);
    }

    [Fact]
    public async Task A_dead_lettered_passage_does_not_hold_the_ack_back()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        var now = DateTimeOffset.UtcNow;
        var p1 = await entry.SendAsync(now.AddSeconds(-40), "浙A20001");
        var p2 = await entry.SendAsync(now.AddSeconds(-30), "浙A20002");
        var bad = await entry.SendAsync(now.AddSeconds(-20), "<b>X</b>");
        var p4 = await entry.SendAsync(now.AddSeconds(-10), "浙A20004");
        Assert.Equal((1L, 2L, 3L, 4L), (p1.Seq, p2.Seq, bad.Seq, p4.Seq));

        // The rejected seq 3 counts as handled: the agent may drop everything up to 4 from its outbox.
        var ack = await entry.AckAsync(4);
        Assert.Equal(4, ack.StoredThroughSeq);
        var snapshot = await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 3, DeadLettered: 1, StoreBacklog: 0 } s ? s : null, "3 accepted, 1 dead-lettered");
        Assert.Equal(0, snapshot.Duplicates);
        var letter = Assert.Single(_host.Store.ReadDeadLetters(10));
        Assert.Equal(("bad-plate", entry.AgentId), (letter.ReasonCode, letter.AgentId));
        using (var payload = System.Text.Json.JsonDocument.Parse(letter.Payload))
        {
            Assert.Equal(3, payload.RootElement.GetProperty("seq").GetInt64());
            Assert.Equal(bad.EventId, payload.RootElement.GetProperty("eventId").GetGuid());
        }
        Assert.Equal([p1.EventId, p2.EventId, p4.EventId], _host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId));
        var progress = _host.Store.Progress(entry.AgentId);
        Assert.Equal((4L, 4L), (progress.Contiguous, progress.Highest));
        Assert.Empty(progress.Gaps);
    }

    [Fact]
    public async Task A_lane_agent_cannot_publish_or_close_seqs_under_the_other_lanes_identity()
    {
        // Both lanes of a portal publish on the same topic, so the broker cannot tell them apart; the service can.
        await using var lane1 = await AgentAsync("north", Portal.Entry, 1);
        await using var lane2 = await AgentAsync("north", Portal.Entry, 2);
        Assert.Equal(lane1.Topic, lane2.Topic);
        var now = DateTimeOffset.UtcNow;

        // Lane 1 claiming lane 2's identity, in a passage that is otherwise fine, and in one that would also fail the plate check.
        var forged = lane1.Next(now.AddSeconds(-20), "浙J77777") with { AgentId = lane2.AgentId, Seq = 1 };
        await lane1.PublishAsync(forged);
        var forgedBadPlate = lane1.Next(now.AddSeconds(-15), "<b>X</b>") with { AgentId = lane2.AgentId, Seq = 2 };
        await lane1.PublishAsync(forgedBadPlate);
        var sentinel = await lane1.SendAsync(now.AddSeconds(-10), "浙J88888");
        await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 1, DeadLettered: 2, StoreBacklog: 0 } s ? s : null, "sentinel accepted, 2 dead-lettered");

        var letters = _host.Store.ReadDeadLetters(10);
        Assert.Equal(["agent-mismatch", "agent-mismatch"], letters.Select(l => l.ReasonCode));
        Assert.All(letters, l => Assert.Equal(lane2.AgentId, l.AgentId));
        Assert.Equal([sentinel.EventId], _host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId));
        // Nothing of lane 2 counts as handled: its real seq 1 is still awaited.
        Assert.Equal((0L, 0L), (_host.Store.Progress(lane2.AgentId).Contiguous, _host.Store.Progress(lane2.AgentId).Highest));

        var real = await lane2.SendAsync(now.AddSeconds(-5), "浙J99999");
        Assert.Equal(1, (await lane2.AckAsync(1)).StoredThroughSeq);
        Assert.Equal(2, _host.Store.ReadPassages(DateTimeOffset.MinValue).Count(p => p.Passage.EventId == real.EventId || p.Passage.EventId == sentinel.EventId));
    }

    [Fact]
    public async Task An_agent_cannot_publish_under_another_bore_or_portal()
    {
        await using var entry = await AgentAsync("north", Portal.Entry, 1);
        var now = DateTimeOffset.UtcNow;

        // Honest payloads, foreign topics: the broker's ACL refuses both.
        var asSouth = entry.Next(now, "浙J33333") with { Bore = "south" };
        var south = await Assert.ThrowsAsync<MqttException>(() => entry.PublishAsync(asSouth, Topics.Passage("maoliling", "south", Portal.Entry)));
        Assert.Equal(MqttReasonCodes.NotAuthorized, south.ReasonCode);
        var asExit = entry.Next(now, "浙J44444") with { Portal = Portal.Exit };
        var exit = await Assert.ThrowsAsync<MqttException>(() => entry.PublishAsync(asExit, Topics.Passage("maoliling", "north", Portal.Exit)));
        Assert.Equal(MqttReasonCodes.NotAuthorized, exit.ReasonCode);

        // On its own topic, a payload claiming another bore gets past the broker but not the service.
        var lying = entry.Next(now, "浙J55555") with { Bore = "south" };
        await entry.PublishAsync(lying);

        // A sentinel behind them on the same connection: MQTT keeps one publisher's order, so once it is
        // in, anything the broker had let through before it would be in too.
        var sentinel = await entry.SendAsync(now, "浙J66666");
        await Wait.UntilAsync(() => _host.Service.Snapshot is { Accepted: 1, DeadLettered: 1, StoreBacklog: 0 }, "sentinel accepted, lie dead-lettered");
        Assert.Equal([sentinel.EventId], _host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId));
        var letter = Assert.Single(_host.Store.ReadDeadLetters(10));
        Assert.Equal("topic-mismatch", letter.ReasonCode);
        Assert.Equal(entry.AgentId, letter.AgentId);
        Assert.All(_host.Service.Snapshot.Bores.Where(b => b.Bore != North), b => Assert.Equal(0, b.Entries + b.Exits));
    }
}
