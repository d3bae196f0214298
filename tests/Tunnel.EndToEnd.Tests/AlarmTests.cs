using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>Alarms raised by the live service on its own clock, stored and published on tunnel/v1/{site}/alarms.</summary>
public sealed class AlarmTests(ITestOutputHelper output)
{
    /// <summary>
    /// Moves the service clock a minute at a time until an overdue alarm for <paramref name="entry"/> is
    /// published. Small steps, each one seen by the loop's tick before the next, so the alarm is raised
    /// at its own due time and not, with everything else due, after one big jump.
    /// </summary>
    internal static async Task<AlarmTransition> AdvanceUntilOverdueAsync(CentralHost host, ManualClock clock, MqttPeer observer, Passage entry)
    {
        var overdue = observer.AlarmAsync(a => a.Kind == AlarmKind.Overdue && a.EntryEventId == entry.EventId, $"overdue alarm for {entry.Plate?.Text}");
        for (var minute = 0; minute < 30 && !overdue.IsCompleted; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            var target = clock.GetUtcNow();
            await Wait.UntilAsync(() => host.Service.Snapshot.At >= target, $"the service loop reaching {target:O}");
        }
        return await overdue;
    }

    [Fact]
    public async Task A_stopped_vehicle_raises_an_overdue_alarm_on_mqtt_and_acknowledging_it_publishes_the_transition()
    {
        using var dir = new TempDirectory();
        var clock = ManualClock.StartingNow();
        await using var host = await Hosts.StartAsync(Hosts.Embedded(dir.Path), TestOutputLoggerProvider.Factory(output), clock);
        await using var observer = await MqttPeer.ConnectAsync(host.BrokerHost, host.BrokerPort, EmbeddedBroker.CentralUser,
            host.Credentials!.For(EmbeddedBroker.CentralUser), Topics.Alarms("maoliling"));
        await using var entry = await TestAgent.ConnectAsync(host.BrokerHost, host.BrokerPort, host.Credentials.For, "north", Portal.Entry, 1);

        var enteredAt = clock.GetUtcNow();
        var stopped = await entry.SendAsync(enteredAt, "浙J12345", VehicleClass.Truck);
        await entry.AckAsync(1);

        var raised = await AdvanceUntilOverdueAsync(host, clock, observer, stopped);
        Assert.Equal(AlarmState.ActiveUnacknowledged, raised.State);
        Assert.Equal(("maoliling", "north", "浙J12345", 1), (raised.Site, raised.Bore, raised.Plate, raised.Lane));
        Assert.Equal(AlarmPriority.High, raised.Priority);
        Assert.Equal(Tunnel.Central.Alarms.AlarmIds.ForOverdue(stopped.EventId), raised.AlarmId);
        // On the service clock: after the usual transit (162 s), and not later than the clock has gone.
        Assert.InRange(raised.At, enteredAt.AddSeconds(162), clock.GetUtcNow());
        var history = host.Store.AlarmHistory(raised.AlarmId);
        Assert.Equal(AlarmState.ActiveUnacknowledged, Assert.Single(history).State);
        Assert.Contains(host.Service.Snapshot.OpenAlarms, a => a.AlarmId == raised.AlarmId && a.State == AlarmState.ActiveUnacknowledged);

        await host.Service.AcknowledgeAsync(raised.AlarmId, "operator-1", "called the driver");
        var acknowledged = await observer.AlarmAsync(a => a.AlarmId == raised.AlarmId && a.State == AlarmState.ActiveAcknowledged, "active-acknowledged transition");
        Assert.Equal("operator-1", acknowledged.By);
        Assert.Equal(AlarmKind.Overdue, acknowledged.Kind);
        await Wait.UntilAsync(() => host.Store.AlarmHistory(raised.AlarmId).Count == 2, "acknowledgement stored");
        var current = Assert.Single(host.Store.CurrentAlarms(), a => a.AlarmId == raised.AlarmId);
        Assert.Equal(AlarmState.ActiveAcknowledged, current.State);
        Assert.Equal("called the driver", host.Store.AlarmHistory(raised.AlarmId)[1].Note);
        // One alarm for one stopped vehicle, however many minutes went by.
        Assert.Single(observer.Alarms(), a => a.State == AlarmState.ActiveUnacknowledged);
    }
}
