using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>A central service that was down: its rebuild raises the alarms that arose meanwhile and leaves none stuck open.</summary>
public sealed class LongDowntimeTests(ITestOutputHelper output)
{
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
        AlarmTransition raised;
        await using (var first = await Hosts.StartAsync(settings, logs, clock))
        {
            await using var observer = await MqttPeer.ConnectAsync(first.BrokerHost, first.BrokerPort, EmbeddedBroker.CentralUser,
                first.Credentials!.For(EmbeddedBroker.CentralUser), Topics.Alarms("maoliling"));
            await using var entry = await TestAgent.ConnectAsync(first.BrokerHost, first.BrokerPort, first.Credentials.For, "north", Portal.Entry, 2);
            var stopped = await entry.SendAsync(clock.GetUtcNow(), "浙B55555");
            await entry.AckAsync(1);
            raised = await AlarmTests.AdvanceUntilOverdueAsync(first, clock, observer, stopped);
            await first.Service.AcknowledgeAsync(raised.AlarmId, "operator-2", null);
        }

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
}
