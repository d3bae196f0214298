using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>
/// An overdue alarm escalates to critical when its vehicle is still inside ten minutes after it, on one timer. A shelf
/// over that moment must not cost the escalation: the alarm comes back from the shelf critical. On event time.
/// </summary>
public class ShelfEscalationTests
{
    /// <summary>A vehicle that stops in lane 1 while its lane flows past it; the clock runs until its alarm is raised.</summary>
    private static (Traffic Traffic, AlarmTransition Alarm) StoppedVehicle()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        traffic.Entry(t + 10, "浙J12345", lane: 1);
        for (var i = 1; i <= 3; i++) traffic.Entry(t + 10 + 6 * i, $"浙K0000{i}", lane: 1);
        traffic.Entry(t + 50, "浙L00001", lane: 2);
        traffic.Entry(t + 56, "浙L00002", lane: 2);
        for (var i = 1; i <= 3; i++) traffic.Exit(t + 10 + 6 * i + 165, $"浙K0000{i}", lane: 1);
        traffic.Exit(t + 50 + 160, "浙L00001", lane: 2);
        traffic.Exit(t + 56 + 160, "浙L00002", lane: 2);
        traffic.Clock(t + 10 + 330);
        var alarm = Assert.Single(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(AlarmPriority.High, alarm.Priority);
        return (traffic, alarm);
    }

    private static List<AlarmTransition> Of(Traffic traffic, AlarmTransition alarm) => traffic.Alarms.Where(a => a.AlarmId == alarm.AlarmId).ToList();

    private static void ClockTo(Traffic traffic, DateTimeOffset at) => traffic.Engine.AdvanceTo(at);

    [Fact]
    public void A_vehicle_still_inside_when_its_shelf_expires_brings_its_alarm_back_critical_with_the_escalation_it_missed()
    {
        var (traffic, alarm) = StoppedVehicle();
        var book = traffic.Engine.Alarms;
        book.Shelve(alarm.AlarmId, "op1", "tow truck called", alarm.At.AddMinutes(30), traffic.Engine.Now);

        // Ten minutes after the alarm the vehicle is still inside: nothing is announced while shelved.
        ClockTo(traffic, alarm.At.AddMinutes(20));
        Assert.Equal(AlarmState.Shelved, Of(traffic, alarm)[^1].State);
        Assert.DoesNotContain(Of(traffic, alarm), t => t.Priority == AlarmPriority.Critical);

        ClockTo(traffic, alarm.At.AddMinutes(31));
        var back = Of(traffic, alarm);
        Assert.Equal(("shelf-expired", AlarmState.ActiveUnacknowledged), (back[^2].ReasonCode, back[^2].State));
        var escalated = back[^1];
        Assert.Equal((AlarmState.ActiveUnacknowledged, AlarmPriority.Critical, "escalated"), (escalated.State, escalated.Priority, escalated.ReasonCode));
        // When the shelf ended (on the engine's tick), stating how long the vehicle has been inside by then.
        Assert.Equal(back[^2].At, escalated.At);
        Assert.InRange(escalated.At, alarm.At.AddMinutes(30), alarm.At.AddMinutes(30).AddSeconds(10));
        Assert.Equal(AlarmReason.Escalated(escalated.At - alarm.EnteredAt!.Value).Text, escalated.Reason);
        Assert.Equal(AlarmPriority.Critical, book.Find(alarm.AlarmId)!.Priority);

        // Once: the alarm stays critical and nothing more is said until someone acts or the vehicle leaves.
        ClockTo(traffic, alarm.At.AddHours(2));
        Assert.Equal(back.Count, Of(traffic, alarm).Count);
    }

    [Fact]
    public void A_shelf_that_ends_before_the_escalation_is_due_leaves_it_to_its_time()
    {
        var (traffic, alarm) = StoppedVehicle();
        traffic.Engine.Alarms.Shelve(alarm.AlarmId, "op1", "checking the camera", traffic.Engine.Now.AddMinutes(2), traffic.Engine.Now);
        ClockTo(traffic, traffic.Engine.Now.AddMinutes(3));
        Assert.Equal((AlarmState.ActiveUnacknowledged, AlarmPriority.High, "shelf-expired"),
            (Of(traffic, alarm)[^1].State, Of(traffic, alarm)[^1].Priority, Of(traffic, alarm)[^1].ReasonCode));
        ClockTo(traffic, alarm.At.AddMinutes(11));
        Assert.Equal((AlarmPriority.Critical, "escalated", alarm.At.AddMinutes(10)),
            (Of(traffic, alarm)[^1].Priority, Of(traffic, alarm)[^1].ReasonCode, Of(traffic, alarm)[^1].At));
        Assert.Single(Of(traffic, alarm), t => t.ReasonCode == "escalated");
    }

    [Fact]
    public void An_operator_who_lifts_a_shelf_after_the_escalation_was_due_gets_the_alarm_back_critical_and_announced()
    {
        var (traffic, alarm) = StoppedVehicle();
        var book = traffic.Engine.Alarms;
        book.Acknowledge(alarm.AlarmId, "op1", "calling the driver", traffic.Engine.Now);
        book.Shelve(alarm.AlarmId, "op1", "wrong alarm", alarm.At.AddHours(4), traffic.Engine.Now);
        ClockTo(traffic, alarm.At.AddMinutes(15));

        book.Unshelve(alarm.AlarmId, "op2", "that shelf was meant for another alarm", traffic.Engine.Now);
        var back = Of(traffic, alarm);
        // Back as acknowledged as it was, by whom and why, at the moment of the lifting ...
        Assert.Equal((AlarmState.ActiveAcknowledged, AlarmPriority.High, "op2", "that shelf was meant for another alarm", alarm.At.AddMinutes(15)),
            (back[^2].State, back[^2].Priority, back[^2].By, back[^2].Note, back[^2].At));
        Assert.Null(back[^2].ShelvedUntil);
        // ... and escalated at once, announced again until acknowledged again.
        Assert.Equal((AlarmState.ActiveUnacknowledged, AlarmPriority.Critical, "escalated", alarm.At.AddMinutes(15)),
            (back[^1].State, back[^1].Priority, back[^1].ReasonCode, back[^1].At));

        // The four-hour shelf is gone: it does not end a second time.
        ClockTo(traffic, alarm.At.AddHours(5));
        Assert.Equal(back.Count, Of(traffic, alarm).Count);
    }

    [Fact]
    public void An_operator_who_lifts_a_shelf_before_the_escalation_is_due_gets_the_alarm_back_as_it_was_and_the_escalation_on_time()
    {
        var (traffic, alarm) = StoppedVehicle();
        var book = traffic.Engine.Alarms;
        book.Shelve(alarm.AlarmId, "op1", "wrong alarm", alarm.At.AddHours(4), traffic.Engine.Now);
        ClockTo(traffic, traffic.Engine.Now.AddMinutes(1));
        book.Unshelve(alarm.AlarmId, "op1", null, traffic.Engine.Now);
        Assert.Equal((AlarmState.ActiveUnacknowledged, AlarmPriority.High, "op1"),
            (Of(traffic, alarm)[^1].State, Of(traffic, alarm)[^1].Priority, Of(traffic, alarm)[^1].By));
        ClockTo(traffic, alarm.At.AddMinutes(11));
        Assert.Equal((AlarmPriority.Critical, "escalated", alarm.At.AddMinutes(10)),
            (Of(traffic, alarm)[^1].Priority, Of(traffic, alarm)[^1].ReasonCode, Of(traffic, alarm)[^1].At));
    }
}
