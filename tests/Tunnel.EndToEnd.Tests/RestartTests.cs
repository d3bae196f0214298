using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Storage;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>A central service that stops, in process, loses nothing and forgets nothing.</summary>
public sealed class RestartTests(ITestOutputHelper output)
{
    private static readonly BoreKey North = new("maoliling", "north");

    private static IReadOnlyList<VehicleInside> InsideNorth(CentralHost host) => host.Service.Snapshot.Bores.Single(b => b.Bore == North).Inside;

    private static object Describe(VehicleInside v) => new { v.EntryEventId, v.Plate, v.Class, v.Lane, At = v.EnteredAt.ToUnixTimeMilliseconds() };

    [Fact]
    public async Task A_restarted_host_rebuilds_the_vehicles_inside_and_receives_what_was_published_while_it_was_down()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        // The broker outlives the central host here (as an external broker would), with the embedded users and ACLs.
        var (broker, credentials) = await EmbeddedBroker.StartAsync(dir.Sub("mqtt"), SitesFile.Maoliling, "127.0.0.1", 0, CancellationToken.None);
        await using var _ = broker;
        var settings = Hosts.External(dir.Sub("central"), broker, EmbeddedBroker.CentralUser, credentials.For(EmbeddedBroker.CentralUser));
        await using var entry = await TestAgent.ConnectAsync(broker.Host, broker.Port, credentials.For, "north", Portal.Entry, 1);
        await using var exit = await TestAgent.ConnectAsync(broker.Host, broker.Port, credentials.For, "north", Portal.Exit, 1);
        var now = DateTimeOffset.UtcNow;

        List<object> insideBefore;
        await using (var first = await Hosts.StartAsync(settings, logs))
        {
            await entry.SendAsync(now.AddSeconds(-300), "浙A00001");
            await entry.SendAsync(now.AddSeconds(-290), "浙A00002", VehicleClass.Truck);
            await entry.SendAsync(now.AddSeconds(-280), null);
            await exit.SendAsync(now.AddSeconds(-130), "浙A00001");
            await Wait.UntilAsync(() => first.Service.Snapshot is { Accepted: 4, StoreBacklog: 0 }, "4 passages accepted");
            insideBefore = InsideNorth(first).Select(Describe).ToList();
            Assert.Equal(2, insideBefore.Count);
        }

        // Nothing happened meanwhile: the rebuild from the store alone gives the same vehicles inside.
        await using (var second = await Hosts.StartAsync(settings, logs))
        {
            await Wait.UntilAsync(() => second.Service.Snapshot.At > DateTimeOffset.MinValue, "the first snapshot after the rebuild");
            Assert.Equal(insideBefore, InsideNorth(second).Select(Describe));
            Assert.Equal(2, second.Service.Snapshot.Bores.Single(b => b.Bore == North).Occupancy);
            Assert.Equal(0, second.Service.Snapshot.Accepted);
        }

        // Published while no central service runs: the broker holds them for its persistent session.
        var d = await entry.SendAsync(now.AddSeconds(-100), "浙A00004");
        var e = await entry.SendAsync(now.AddSeconds(-90), "浙A00005");
        await exit.SendAsync(now.AddSeconds(-110), "浙A00002");
        Assert.Equal(3, entry.LastAck);

        await using (var third = await Hosts.StartAsync(settings, logs))
        {
            Assert.Equal(5, (await entry.AckAsync(5)).StoredThroughSeq);
            Assert.Equal(2, (await exit.AckAsync(2)).StoredThroughSeq);
            var snapshot = await Wait.UntilAsync(() => third.Service.Snapshot is { Accepted: 3, StoreBacklog: 0 } s ? s : null, "the 3 queued passages accepted");
            Assert.Equal(0, snapshot.Duplicates);
            var north = snapshot.Bores.Single(b => b.Bore == North);
            Assert.Equal(3, north.Occupancy);
            // The unread one from before the restarts, then the two that came in while the service was down.
            Assert.Equal([null, "浙A00004", "浙A00005"], north.Inside.Select(v => v.Plate));
            Assert.Equal([d.EventId, e.EventId], north.Inside.Skip(1).Select(v => v.EntryEventId));
            var stored = third.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage).ToList();
            Assert.Equal(7, stored.Count);
            Assert.Equal(7, stored.Select(p => p.EventId).Distinct().Count());
        }
    }

    [Fact]
    public async Task A_resend_older_than_the_engine_remembers_is_told_from_a_new_passage_by_the_store()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        Passage sent;
        await using (var first = await Hosts.StartAsync(settings, logs, clock))
        {
            await using var entry = await TestAgent.ConnectAsync(first.BrokerHost, first.BrokerPort, first.Credentials!.For, "north", Portal.Entry, 1);
            sent = await entry.SendAsync(clock.GetUtcNow(), "浙C12345");
            await entry.AckAsync(1);
        }

        // Beyond the rebuild window: the restarted engine has never heard of that passage, the store has.
        clock.Advance(TimeSpan.FromHours(13));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        await using var again = await TestAgent.ConnectAsync(second.BrokerHost, second.BrokerPort, second.Credentials!.For, "north", Portal.Entry, 1);
        // An outbox sending again what it never saw acknowledged (the ack was lost, the agent offline for hours).
        await again.PublishAsync(sent);
        var snapshot = await Wait.UntilAsync(() => second.Service.Snapshot is { Duplicates: 1 } s ? s : null, "the resend counted as a duplicate");
        Assert.Equal(0, snapshot.Accepted);
        Assert.Equal(0, snapshot.Bores.Single(b => b.Bore == North).Occupancy);
        Assert.Single(second.Store.ReadPassages(DateTimeOffset.MinValue), x => x.Passage.EventId == sent.EventId);
    }

    [Fact]
    public async Task An_acknowledged_overdue_alarm_is_the_same_acknowledged_alarm_after_a_restart_not_a_second_one()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        var raised = await FirstRunWithAcknowledgedOverdueAsync(settings, logs, clock, "浙B88888");

        clock.Advance(TimeSpan.FromMinutes(1));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var restartedAt = clock.GetUtcNow();
        // A full loop turn after the rebuild: whatever the rebuild had to raise is stored by then.
        await Wait.UntilAsync(() => second.Service.Snapshot.At >= restartedAt, "the first snapshot after the rebuild");

        var open = Assert.Single(second.Service.Snapshot.OpenAlarms, a => a.Kind == AlarmKind.Overdue);
        Assert.Equal(raised.AlarmId, open.AlarmId);
        Assert.Equal(AlarmState.ActiveAcknowledged, open.State);
        Assert.Equal(raised.At, open.RaisedAt); // when it was raised, not when it was acknowledged
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged], second.Store.AlarmHistory(raised.AlarmId).Select(t => t.State));
        Assert.Single(second.Store.CurrentAlarms(), a => a.Kind == AlarmKind.Overdue);
        Assert.Equal(raised.AlarmId, Assert.Single(InsideNorth(second)).AlarmId);

        // And it is live, not a copy: the vehicle leaving closes that very alarm (acknowledged + cleared = closed).
        await using var observer2 = await AlarmObserverAsync(second);
        await using var exit = await TestAgent.ConnectAsync(second.BrokerHost, second.BrokerPort, second.Credentials!.For, "north", Portal.Exit, 2);
        await exit.SendAsync(clock.GetUtcNow(), "浙B88888");
        var closed = await observer2.AlarmAsync(a => a.AlarmId == raised.AlarmId, "the alarm's next transition");
        Assert.Equal(AlarmState.Closed, closed.State);
        Assert.DoesNotContain(observer2.Alarms(), a => a.State == AlarmState.ActiveUnacknowledged);
        await Wait.UntilAsync(() => second.Service.Snapshot.OpenAlarms.Count == 0, "no open alarm");
    }

    [Fact]
    public async Task A_closed_overdue_alarm_stays_closed_after_a_restart_and_is_not_raised_again()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        var raised = await FirstRunWithAcknowledgedOverdueAsync(settings, logs, clock, "浙B77777", async (first, observer, raised) =>
        {
            await using var exit = await TestAgent.ConnectAsync(first.BrokerHost, first.BrokerPort, first.Credentials!.For, "north", Portal.Exit, 2);
            await exit.SendAsync(clock.GetUtcNow(), "浙B77777");
            await observer.AlarmAsync(a => a.AlarmId == raised.AlarmId && a.State == AlarmState.Closed, "closed on MQTT");
        });
        var history = new[] { AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.Closed };

        clock.Advance(TimeSpan.FromMinutes(1));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var restartedAt = clock.GetUtcNow();
        await Wait.UntilAsync(() => second.Service.Snapshot.At >= restartedAt, "the first snapshot after the rebuild");

        // The rebuild finds the stop in the stored passages and raises its alarm again on event time; the store
        // says the operator closed it, so it stays closed: not back on the wall as "cleared, unacknowledged".
        Assert.Empty(second.Service.Snapshot.OpenAlarms);
        Assert.Equal(history, second.Store.AlarmHistory(raised.AlarmId).Select(t => t.State));
        Assert.DoesNotContain(second.Store.CurrentAlarms(), a => a.AlarmId == raised.AlarmId);
    }

    [Fact]
    public async Task A_vehicle_an_operator_saw_leave_stays_gone_after_a_restart_and_its_alarm_closed()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        IReadOnlyList<Guid> gone = [];
        var raised = await FirstRunWithAcknowledgedOverdueAsync(settings, logs, clock, "浙B66666", async (first, observer, raised) =>
        {
            // No exit camera read it: only the operator knows it has gone.
            gone = await first.Service.SeenLeavingAsync(raised.AlarmId, "operator-2", "checked on CCTV: lane clear");
            var closed = await observer.AlarmAsync(a => a.AlarmId == raised.AlarmId && a.State == AlarmState.Closed, "closed on MQTT");
            Assert.Equal("seen-leaving", closed.ReasonCode);
            await Wait.UntilAsync(() => first.Service.Snapshot.OpenAlarms.Count == 0 && InsideNorth(first).Count == 0, "the vehicle off the list inside");
            Assert.Equal(0, first.Service.Snapshot.Bores.Single(b => b.Bore == North).Occupancy);
        });
        Assert.Equal([raised.EntryEventId!.Value], gone);

        clock.Advance(TimeSpan.FromMinutes(1));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var restartedAt = clock.GetUtcNow();
        await Wait.UntilAsync(() => second.Service.Snapshot.At >= restartedAt, "the first snapshot after the rebuild");

        // The stored passages alone have it inside for hours (its exit never came); the stored sighting takes it out again.
        Assert.Empty(InsideNorth(second));
        Assert.Equal(0, second.Service.Snapshot.Bores.Single(b => b.Bore == North).Occupancy);
        Assert.Empty(second.Service.Snapshot.OpenAlarms);
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.Closed],
            second.Store.AlarmHistory(raised.AlarmId).Select(t => t.State));
        var seen = Assert.Single(second.Store.VehiclesSeenLeavingSince(DateTimeOffset.MinValue));
        Assert.Equal((raised.EntryEventId, raised.AlarmId, "operator-2"), ((Guid?)seen.EntryEventId, seen.AlarmId, seen.Actor));
    }

    [Fact]
    public async Task A_shelf_lifted_after_a_restart_gives_the_alarm_back_acknowledged_as_it_was_shelved()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        var raised = await FirstRunWithAcknowledgedOverdueAsync(settings, logs, clock, "浙B44444", async (first, observer, raised) =>
        {
            await first.Service.ShelveAsync(raised.AlarmId, "operator-2", "tow truck on its way", clock.GetUtcNow().AddHours(1));
            await observer.AlarmAsync(a => a.AlarmId == raised.AlarmId && a.State == AlarmState.Shelved, "shelved on MQTT");
        });

        clock.Advance(TimeSpan.FromMinutes(1));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var restartedAt = clock.GetUtcNow();
        await Wait.UntilAsync(() => second.Service.Snapshot.At >= restartedAt, "the first snapshot after the rebuild");
        Assert.Equal(AlarmState.Shelved, Assert.Single(second.Service.Snapshot.OpenAlarms, a => a.AlarmId == raised.AlarmId).State);

        // Acknowledged before the shelf: lifting it must not announce the alarm again as if nobody had seen it.
        await second.Service.UnshelveAsync(raised.AlarmId, "operator-3", null);
        await Wait.UntilAsync(() => second.Store.AlarmHistory(raised.AlarmId).Count == 4, "the unshelving stored");
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.Shelved, AlarmState.ActiveAcknowledged],
            second.Store.AlarmHistory(raised.AlarmId).Select(t => t.State));
    }

    [Fact]
    public async Task An_acknowledged_alarm_whose_vehicles_exit_was_stored_but_not_its_clearing_is_closed_by_the_restart()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        var raised = await FirstRunWithAcknowledgedOverdueAsync(settings, logs, clock, "浙B66666");
        // The exit passage reached the store and its alarm's clearing did not: the service stopped between the two commits.
        using (var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(dir.Path)))
        {
            var exit = new Passage
            {
                EventId = Guid.NewGuid(), AgentId = "maoliling-north-exit-2", Seq = 1, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 2,
                CameraId = "cam-north-exit-2", CapturedAt = clock.GetUtcNow(),
                Plate = new PlateRead { Text = "浙B66666", Color = PlateColor.Blue, Confidence = 0.97 },
                Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
            };
            Assert.Single(store.AddPassages([(exit, clock.GetUtcNow())]));
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var restartedAt = clock.GetUtcNow();
        await Wait.UntilAsync(() => second.Service.Snapshot.At >= restartedAt, "the first snapshot after the rebuild");

        // Acknowledged and cleared is closed: off the wall, and the store says so too.
        Assert.Empty(InsideNorth(second));
        Assert.DoesNotContain(second.Service.Snapshot.OpenAlarms, a => a.AlarmId == raised.AlarmId);
        await Wait.UntilAsync(() => second.Store.AlarmHistory(raised.AlarmId).Select(t => t.State).LastOrDefault() == AlarmState.Closed,
            "the alarm's closing stored");
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.Closed],
            second.Store.AlarmHistory(raised.AlarmId).Select(t => t.State));
        Assert.DoesNotContain(second.Store.CurrentAlarms(), a => a.AlarmId == raised.AlarmId);
    }

    [Fact]
    public async Task A_stop_whose_entry_was_stored_but_whose_alarm_never_was_is_raised_by_the_restart()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        Passage stopped;
        // The entry is stored and acknowledged; the service dies before the alarm it would raise is stored (killed between the two commits, or down).
        await using (var first = await Hosts.StartAsync(settings, logs, clock))
        {
            await using var entry = await TestAgent.ConnectAsync(first.BrokerHost, first.BrokerPort, first.Credentials!.For, "north", Portal.Entry, 1);
            stopped = await entry.SendAsync(clock.GetUtcNow(), "浙B44444", VehicleClass.Truck);
            await entry.AckAsync(1);
            Assert.Empty(first.Store.CurrentAlarms());
        }

        clock.Advance(TimeSpan.FromMinutes(20));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var id = Tunnel.Central.Alarms.AlarmIds.ForOverdue(stopped.EventId);
        // Raised by the rebuild from the stored entry, stored, on the wall, and handed to the broker (none left to publish).
        var raised = await Wait.UntilAsync(() => second.Store.AlarmHistory(id) is [var first, ..] ? first : null, "the alarm raised and stored");
        Assert.Equal((AlarmState.ActiveUnacknowledged, "浙B44444"), (raised.State, raised.Plate));
        await Wait.UntilAsync(() => second.Service.Snapshot.OpenAlarms.Any(a => a.AlarmId == id), "the alarm on the wall");
        await Wait.UntilAsync(() => second.Store.UnpublishedAlarms().Count == 0, "the alarm published");
    }

    [Fact]
    public async Task An_overdue_alarm_whose_vehicle_entered_longer_ago_than_the_engine_tracks_is_cleared_as_untracked_by_the_restart()
    {
        using var dir = new TempDirectory();
        var logs = TestOutputLoggerProvider.Factory(output);
        var clock = ManualClock.StartingNow();
        var settings = Hosts.Embedded(dir.Path);
        var raised = await FirstRunWithAcknowledgedOverdueAsync(settings, logs, clock, "浙B55555");

        // Down over the night: running, the engine would have stopped following the vehicle (and cleared its alarm) meanwhile.
        clock.Advance(TimeSpan.FromHours(13));
        await using var second = await Hosts.StartAsync(settings, logs, clock);
        var restartedAt = clock.GetUtcNow();
        await Wait.UntilAsync(() => second.Service.Snapshot.At >= restartedAt, "the first snapshot after the rebuild");

        // Acknowledged and cleared is closed: not left on the wall (and the towers) for good, with no exit ever to clear it.
        Assert.DoesNotContain(second.Service.Snapshot.OpenAlarms, a => a.AlarmId == raised.AlarmId);
        var last = await Wait.UntilAsync(() => second.Store.AlarmHistory(raised.AlarmId) is [.., { State: AlarmState.Closed } closed] ? closed : null,
            "the alarm's closing stored");
        Assert.Equal("untracked", last.ReasonCode);
        Assert.DoesNotContain(second.Store.CurrentAlarms(), a => a.AlarmId == raised.AlarmId);
    }

    private static Task<MqttPeer> AlarmObserverAsync(CentralHost host) =>
        MqttPeer.ConnectAsync(host.BrokerHost, host.BrokerPort, EmbeddedBroker.CentralUser, host.Credentials!.For(EmbeddedBroker.CentralUser), Topics.Alarms("maoliling"));

    /// <summary>
    /// A first run of the service, stopped before this returns: an overdue alarm for <paramref name="plate"/>, acknowledged
    /// by an operator, and whatever <paramref name="beforeStop"/> does besides. Returns the alarm as raised.
    /// </summary>
    private async Task<AlarmTransition> FirstRunWithAcknowledgedOverdueAsync(Dictionary<string, string?> settings, ILoggerFactory logs, ManualClock clock,
        string plate, Func<CentralHost, MqttPeer, AlarmTransition, Task>? beforeStop = null)
    {
        await using var first = await Hosts.StartAsync(settings, logs, clock);
        await using var observer = await AlarmObserverAsync(first);
        var raised = await AcknowledgedOverdueAsync(first, clock, observer, plate);
        if (beforeStop is not null) await beforeStop(first, observer, raised);
        return raised;
    }

    private static async Task<AlarmTransition> AcknowledgedOverdueAsync(CentralHost host, ManualClock clock, MqttPeer observer, string plate)
    {
        await using var entry = await TestAgent.ConnectAsync(host.BrokerHost, host.BrokerPort, host.Credentials!.For, "north", Portal.Entry, 2);
        var stopped = await entry.SendAsync(clock.GetUtcNow(), plate);
        await entry.AckAsync(1);
        var raised = await AlarmTests.AdvanceUntilOverdueAsync(host, clock, observer, stopped);
        await host.Service.AcknowledgeAsync(raised.AlarmId, "operator-2", null);
        await observer.AlarmAsync(a => a.AlarmId == raised.AlarmId && a.State == AlarmState.ActiveAcknowledged, "acknowledged on MQTT");
        return raised;
    }
}
