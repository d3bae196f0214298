using Tunnel.Central.Alarms;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

public class AlarmBookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly AlarmReason Left = AlarmReason.Left(T0.AddSeconds(25), 1);
    private readonly List<AlarmTransition> _out = [];

    private (AlarmBook Book, Guid Id) Raised()
    {
        var book = new AlarmBook(_out.Add);
        var id = Guid.NewGuid();
        book.Raise(new AlarmTransition
        {
            AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = "浙J12345", At = T0, EnteredAt = T0.AddMinutes(-5),
        }.WithReason(AlarmReason.OverTime(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(3), 9.4)));
        return (book, id);
    }

    [Fact]
    public void Acknowledged_then_cleared_is_closed()
    {
        var (book, id) = Raised();
        book.Acknowledge(id, "op1", "calling the driver", T0.AddSeconds(20));
        book.ConditionCleared(id, T0.AddSeconds(90), Left);
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.Closed], _out.Select(t => t.State));
        Assert.Equal("op1", _out[1].By);
        Assert.Equal("calling the driver", _out[1].Note);
        Assert.Null(book.Find(id));
    }

    [Fact]
    public void A_cleared_alarm_is_not_escalated_while_it_waits_for_its_acknowledgement()
    {
        var (book, id) = Raised();
        book.ConditionCleared(id, T0.AddSeconds(30), Left);
        book.Escalate(id, AlarmPriority.Critical, T0.AddSeconds(600), AlarmReason.Escalated(TimeSpan.FromMinutes(15)));
        Assert.Equal(AlarmState.ClearedUnacknowledged, _out[^1].State);
        Assert.DoesNotContain(_out, t => t.Priority == AlarmPriority.Critical);
    }

    [Fact]
    public void An_acknowledged_alarm_that_escalates_is_announced_again_until_it_is_acknowledged_again()
    {
        var (book, id) = Raised();
        book.Acknowledge(id, "op1", "slow truck", T0.AddSeconds(20));
        book.Escalate(id, AlarmPriority.Critical, T0.AddSeconds(600), AlarmReason.Escalated(TimeSpan.FromMinutes(15)));
        Assert.Equal((AlarmState.ActiveUnacknowledged, AlarmPriority.Critical, "escalated"), (_out[^1].State, _out[^1].Priority, _out[^1].ReasonCode));
        book.Acknowledge(id, "op2", null, T0.AddSeconds(630));
        Assert.Equal((AlarmState.ActiveAcknowledged, AlarmPriority.Critical), (_out[^1].State, _out[^1].Priority));
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged],
            _out.Select(t => t.State));
    }

    [Fact]
    public void A_second_suspect_joins_an_active_alarm_once_and_never_a_cleared_one()
    {
        var (book, id) = Raised();
        var suspect = new AlarmAlternative("浙H77777", Guid.NewGuid(), 2, T0, VehicleClass.Van);
        book.Acknowledge(id, "op1", null, T0.AddSeconds(10));
        book.NameSecondSuspect(id, suspect, T0.AddSeconds(20), AlarmReason.SecondSuspect(2, T0.AddSeconds(15)));
        book.NameSecondSuspect(id, suspect with { Plate = "浙H88888" }, T0.AddSeconds(30), AlarmReason.SecondSuspect(2, T0.AddSeconds(25)));
        Assert.Equal(AlarmState.ActiveAcknowledged, _out[^1].State);
        Assert.Equal("浙H77777", _out[^1].Alternative?.Plate);
        Assert.Equal(3, _out.Count);
        book.ConditionCleared(id, T0.AddSeconds(40), Left);
        Assert.Equal("浙H77777", _out[^1].Alternative?.Plate);

        var (other, otherId) = Raised();
        other.ConditionCleared(otherId, T0.AddSeconds(40), Left);
        other.NameSecondSuspect(otherId, suspect, T0.AddSeconds(50), AlarmReason.SecondSuspect(2, T0.AddSeconds(45)));
        Assert.Null(_out[^1].Alternative);
    }

    [Fact]
    public void Cleared_before_acknowledgement_waits_for_it()
    {
        var (book, id) = Raised();
        book.ConditionCleared(id, T0.AddSeconds(30), Left);
        Assert.Equal(AlarmState.ClearedUnacknowledged, _out[^1].State);
        book.Acknowledge(id, "op1", null, T0.AddSeconds(40));
        Assert.Equal(AlarmState.Closed, _out[^1].State);
    }

    [Fact]
    public void A_shelf_needs_a_reason_and_a_future_expiry_and_brings_a_standing_alarm_back()
    {
        var (book, id) = Raised();
        Assert.Throws<AlarmStateException>(() => book.Shelve(id, "op1", " ", T0.AddMinutes(10), T0));
        Assert.Throws<AlarmStateException>(() => book.Shelve(id, "op1", "maintenance", T0, T0));
        book.Shelve(id, "op1", "camera maintenance", T0.AddMinutes(10), T0.AddSeconds(5));
        Assert.Equal(AlarmState.Shelved, _out[^1].State);
        book.ExpireShelves(T0.AddMinutes(9));
        Assert.Equal(AlarmState.Shelved, _out[^1].State);
        book.ExpireShelves(T0.AddMinutes(10));
        Assert.Equal(AlarmState.ActiveUnacknowledged, _out[^1].State);
    }

    [Fact]
    public void A_shelved_alarm_whose_condition_cleared_closes_when_the_shelf_ends()
    {
        var (book, id) = Raised();
        book.Shelve(id, "op1", "known breakdown, tow truck called", T0.AddMinutes(10), T0.AddSeconds(5));
        book.ConditionCleared(id, T0.AddMinutes(3), Left);
        book.ExpireShelves(T0.AddMinutes(11));
        Assert.Equal(AlarmState.Closed, _out[^1].State);
    }

    [Fact]
    public void A_shelf_lifted_early_brings_the_alarm_back_as_it_would_be_had_it_never_been_shelved_with_who_and_note()
    {
        // Acknowledged, shelved, lifted: acknowledged still, no announcement again.
        var (book, id) = Raised();
        book.Acknowledge(id, "op1", "calling the driver", T0.AddSeconds(20));
        book.Shelve(id, "op1", "wrong alarm", T0.AddHours(4), T0.AddSeconds(30));
        book.Unshelve(id, "op2", "shelved the wrong one", T0.AddMinutes(2));
        Assert.Equal((AlarmState.ActiveAcknowledged, AlarmPriority.High, "op2", "shelved the wrong one"),
            (_out[^1].State, _out[^1].Priority, _out[^1].By, _out[^1].Note));
        Assert.Equal(T0.AddMinutes(2), _out[^1].At);
        Assert.Null(_out[^1].ShelvedUntil);
        Assert.Null(book.Find(id)!.ShelvedUntil);
        // Without a reason of its own, like an acknowledgement.
        Assert.Equal("overdue-time", _out[^1].ReasonCode);
        // Its shelf is gone: it expires no more.
        var count = _out.Count;
        book.ExpireShelves(T0.AddHours(5));
        Assert.Equal(count, _out.Count);

        // Shelved unacknowledged, its vehicle left meanwhile: cleared, its acknowledgement still owed.
        var (other, otherId) = Raised();
        other.Shelve(otherId, "op1", "tow truck called", T0.AddHours(1), T0.AddSeconds(30));
        other.ConditionCleared(otherId, T0.AddMinutes(1), Left);
        other.Unshelve(otherId, "op1", null, T0.AddMinutes(2));
        Assert.Equal((AlarmState.ClearedUnacknowledged, "op1", (string?)null), (_out[^1].State, _out[^1].By, _out[^1].Note));

        // Shelved acknowledged, its vehicle left meanwhile: nothing is owed, it closes.
        var (third, thirdId) = Raised();
        third.Acknowledge(thirdId, "op1", null, T0.AddSeconds(10));
        third.Shelve(thirdId, "op1", "tow truck called", T0.AddHours(1), T0.AddSeconds(30));
        third.ConditionCleared(thirdId, T0.AddMinutes(1), Left);
        third.Unshelve(thirdId, "op1", " ", T0.AddMinutes(2));
        Assert.Equal((AlarmState.Closed, (string?)null), (_out[^1].State, _out[^1].Note));
        Assert.Null(third.Find(thirdId));
    }

    [Fact]
    public void Only_a_shelved_alarm_is_unshelved_and_an_unknown_one_says_so()
    {
        var (book, id) = Raised();
        var notShelved = Assert.Throws<AlarmStateException>(() => book.Unshelve(id, "op1", null, T0.AddSeconds(10)));
        Assert.Contains("not shelved", notShelved.Message);
        book.Shelve(id, "op1", "camera maintenance", T0.AddMinutes(10), T0.AddSeconds(20));
        book.Unshelve(id, "op1", null, T0.AddSeconds(30));
        Assert.Equal(AlarmState.ActiveUnacknowledged, _out[^1].State);
        Assert.Throws<AlarmStateException>(() => book.Unshelve(id, "op1", null, T0.AddSeconds(40)));
        var unknown = Guid.NewGuid();
        Assert.Equal(unknown, Assert.Throws<NoOpenAlarmException>(() => book.Unshelve(unknown, "op1", null, T0)).AlarmId);
    }

    [Fact]
    public void An_escalation_due_when_a_shelf_ends_follows_the_return_as_a_transition_of_its_own()
    {
        var (book, id) = Raised();
        // As the engine answers: due ten minutes after the alarm.
        book.EscalationDue = (alarm, at) => at >= alarm.RaisedAt.AddMinutes(10)
            ? (AlarmPriority.Critical, AlarmReason.Escalated(at - alarm.Raised.EnteredAt!.Value)) : null;
        book.Shelve(id, "op1", "tow truck called", T0.AddMinutes(30), T0.AddSeconds(5));
        // The escalation's one timer passes the shelved alarm by.
        book.Escalate(id, AlarmPriority.Critical, T0.AddMinutes(10), AlarmReason.Escalated(TimeSpan.FromMinutes(15)));
        Assert.Equal((AlarmState.Shelved, AlarmPriority.High), (_out[^1].State, _out[^1].Priority));
        book.ExpireShelves(T0.AddMinutes(30));
        Assert.Equal(("shelf-expired", AlarmState.ActiveUnacknowledged, AlarmPriority.High), (_out[^2].ReasonCode, _out[^2].State, _out[^2].Priority));
        Assert.Equal(("escalated", AlarmState.ActiveUnacknowledged, AlarmPriority.Critical), (_out[^1].ReasonCode, _out[^1].State, _out[^1].Priority));
        Assert.Equal(("still inside 35 min after entry", T0.AddMinutes(30)), (_out[^1].Reason, _out[^1].At));
        Assert.Equal(AlarmPriority.Critical, book.Find(id)!.Priority);

        // Not owed for a condition that cleared meanwhile: it closes, not escalated.
        var (other, otherId) = Raised();
        other.EscalationDue = book.EscalationDue;
        other.Shelve(otherId, "op1", "tow truck called", T0.AddMinutes(30), T0.AddSeconds(5));
        other.ConditionCleared(otherId, T0.AddMinutes(20), Left);
        other.ExpireShelves(T0.AddMinutes(30));
        Assert.Equal((AlarmState.Closed, AlarmPriority.High), (_out[^1].State, _out[^1].Priority));
    }

    [Fact]
    public void Nothing_to_acknowledge_twice_and_notes_keep_the_state()
    {
        var (book, id) = Raised();
        book.Acknowledge(id, "op1", null, T0.AddSeconds(10));
        Assert.Throws<AlarmStateException>(() => book.Acknowledge(id, "op2", null, T0.AddSeconds(11)));
        book.AddNote(id, "op2", "driver reached, engine failure", T0.AddSeconds(60));
        Assert.Equal(AlarmState.ActiveAcknowledged, _out[^1].State);
        Assert.Equal("driver reached, engine failure", _out[^1].Note);
        Assert.All(_out, t => Assert.Equal(id, t.AlarmId));
    }

    [Fact]
    public void A_transition_without_a_reason_of_its_own_repeats_the_raising_one_with_its_code_and_arguments()
    {
        var (book, id) = Raised();
        book.Acknowledge(id, "op1", "calling the driver", T0.AddSeconds(20));
        Assert.Equal(("overdue-time", "inside 5.0 min, usual transit 3.0 min; evidence 9.4"), (_out[1].ReasonCode, _out[1].Reason));
        Assert.Equal(_out[0].ReasonArgs, _out[1].ReasonArgs);
        book.ConditionCleared(id, T0.AddSeconds(90), Left);
        Assert.Equal(("left", "left the bore at 08:00:25 by lane 1"), (_out[^1].ReasonCode, _out[^1].Reason));
        Assert.Equal("08:00:25", _out[^1].ReasonArgs?["time"]);
    }

    [Fact]
    public void An_operator_s_shelving_words_are_the_reason_under_their_own_code_and_the_expiry_has_its_own()
    {
        var (book, id) = Raised();
        book.Shelve(id, "op1", "<b>tow truck</b> on its way", T0.AddMinutes(10), T0.AddSeconds(5));
        Assert.Equal(("shelved", "<b>tow truck</b> on its way"), (_out[^1].ReasonCode, _out[^1].Reason));
        Assert.Null(_out[^1].ReasonArgs);
        book.ExpireShelves(T0.AddMinutes(10));
        Assert.Equal(("shelf-expired", "shelf expired"), (_out[^1].ReasonCode, _out[^1].Reason));
    }
}
