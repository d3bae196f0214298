using Tunnel.Core.Contracts;

namespace Tunnel.Central.Alarms;

/// <summary>
/// The alarm lifecycle of ISA-18.2: raise, acknowledge, condition cleared, shelve with expiry or lifted early, close.
/// Every change, including a note, goes out as one <see cref="AlarmTransition"/> to the sink.
/// </summary>
public sealed class AlarmBook(Action<AlarmTransition> sink)
{
    private readonly Dictionary<Guid, Alarm> _open = [];

    /// <summary>Where transitions go; swapped once after a rebuild, from a recorder to the live outputs.</summary>
    public Action<AlarmTransition> Sink { get; set; } = sink;

    public IReadOnlyCollection<Alarm> Open => _open.Values;

    /// <summary>
    /// The escalation an alarm is owed at a moment (the priority and why), or null: asked when it comes back from a shelf.
    /// An escalation falls due once, and passes a shelved alarm by (nothing is announced while shelved); without this
    /// question the alarm would come back at its old priority however long its vehicle has stood. Set by the engine.
    /// </summary>
    public Func<Alarm, DateTimeOffset, (AlarmPriority Priority, AlarmReason Reason)?>? EscalationDue { get; set; }

    public Alarm? Find(Guid id) => _open.GetValueOrDefault(id);

    public Alarm Raise(AlarmTransition raised)
    {
        var alarm = new Alarm
        {
            Id = raised.AlarmId, Kind = raised.Kind, Bore = new BoreKey(raised.Site, raised.Bore),
            Priority = raised.Priority, State = AlarmState.ActiveUnacknowledged, RaisedAt = raised.At,
            Raised = raised with { State = AlarmState.ActiveUnacknowledged },
        };
        _open[alarm.Id] = alarm;
        Sink(alarm.Raised);
        return alarm;
    }

    /// <summary>Rebuilds an alarm from storage after a restart, without emitting anything.</summary>
    public void Restore(Alarm alarm)
    {
        if (!alarm.IsClosed) _open[alarm.Id] = alarm;
    }

    /// <summary>Drops an alarm without a transition: only for one a rebuild raised twice.</summary>
    public void Forget(Guid id) => _open.Remove(id);

    public void ConditionCleared(Guid id, DateTimeOffset at, AlarmReason reason)
    {
        if (!_open.TryGetValue(id, out var alarm) || !alarm.ConditionActive) return;
        alarm.ConditionActive = false;
        var next = alarm.State switch
        {
            AlarmState.ActiveUnacknowledged => AlarmState.ClearedUnacknowledged,
            AlarmState.ActiveAcknowledged => AlarmState.Closed,
            _ => alarm.State, // shelved: closes when the shelf expires; cleared-unacknowledged: unchanged
        };
        Emit(alarm, next, at, reason: reason);
    }

    public void Acknowledge(Guid id, string by, string? note, DateTimeOffset at)
    {
        var alarm = Require(id);
        var next = alarm.State switch
        {
            AlarmState.ActiveUnacknowledged => AlarmState.ActiveAcknowledged,
            AlarmState.ClearedUnacknowledged => AlarmState.Closed,
            _ => throw new AlarmStateException($"alarm {id} is {TunnelJson.Name(alarm.State)}: nothing to acknowledge"),
        };
        Emit(alarm, next, at, by: by, note: note);
    }

    public void Shelve(Guid id, string by, string reason, DateTimeOffset until, DateTimeOffset at)
    {
        var alarm = Require(id);
        if (string.IsNullOrWhiteSpace(reason)) throw new AlarmStateException("shelving needs a reason");
        if (until <= at) throw new AlarmStateException("a shelf must expire in the future");
        if (alarm.State == AlarmState.Shelved) throw new AlarmStateException($"alarm {id} is already shelved");
        alarm.ShelvedUntil = until;
        alarm.ShelvedFrom = alarm.State;
        Emit(alarm, AlarmState.Shelved, at, by: by, reason: AlarmReason.Shelved(reason), shelvedUntil: until);
    }

    public void AddNote(Guid id, string by, string note, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(note)) throw new AlarmStateException("an empty note");
        Emit(Require(id), Require(id).State, at, by: by, note: note);
    }

    /// <summary>
    /// Ends expired shelves as ISA-18.2 does: the alarm returns to normal (closed) if its condition has cleared, and is
    /// announced anew (active-unacknowledged) if it still holds, since no one need be looking when a shelf runs out. An
    /// escalation that fell due meanwhile follows at once (<see cref="EscalationDue"/>).
    /// </summary>
    public void ExpireShelves(DateTimeOffset now)
    {
        foreach (var alarm in _open.Values.Where(a => a.State == AlarmState.Shelved && a.ShelvedUntil <= now).ToList())
            EndShelf(alarm, alarm.ConditionActive ? AlarmState.ActiveUnacknowledged : AlarmState.Closed, now, reason: AlarmReason.ShelfExpired());
    }

    /// <summary>
    /// An operator lifts a shelf before its expiry (a shelf put on the wrong alarm, or no longer wanted). The alarm takes
    /// the state it would have now had it never been shelved: active or cleared as its condition is, acknowledged if it
    /// was when shelved (cleared and acknowledged: closed), and escalated if its escalation fell due meanwhile.
    /// </summary>
    public void Unshelve(Guid id, string by, string? note, DateTimeOffset at)
    {
        var alarm = Require(id);
        if (alarm.State != AlarmState.Shelved)
            throw new AlarmStateException($"alarm {id} is {TunnelJson.Name(alarm.State)}: it is not shelved, nothing to unshelve");
        var acknowledged = alarm.ShelvedFrom == AlarmState.ActiveAcknowledged;
        var next = (alarm.ConditionActive, acknowledged) switch
        {
            (true, true) => AlarmState.ActiveAcknowledged,
            (true, false) => AlarmState.ActiveUnacknowledged,
            (false, true) => AlarmState.Closed,
            (false, false) => AlarmState.ClearedUnacknowledged,
        };
        EndShelf(alarm, next, at, by: by, note: string.IsNullOrWhiteSpace(note) ? null : note);
    }

    private void EndShelf(Alarm alarm, AlarmState next, DateTimeOffset at, string? by = null, string? note = null, AlarmReason? reason = null)
    {
        alarm.ShelvedUntil = null;
        alarm.ShelvedFrom = null;
        Emit(alarm, next, at, by: by, note: note, reason: reason);
        // Back at the priority it was shelved with, then escalated as it would have been unshelved: a transition of its own,
        // with the escalation's reason, announced again until acknowledged.
        if (alarm.ConditionActive && !alarm.IsClosed && EscalationDue?.Invoke(alarm, at) is { } due)
            Escalate(alarm.Id, due.Priority, at, due.Reason);
    }

    public void Escalate(Guid id, AlarmPriority priority, DateTimeOffset at, AlarmReason reason)
    {
        if (!_open.TryGetValue(id, out var alarm) || alarm.Priority <= priority) return;
        // A condition that has cleared does not get worse; only its acknowledgement is outstanding. A shelved alarm is not
        // announced: it is escalated when it comes back from the shelf, if the escalation is still due then (EscalationDue).
        if (alarm.State is not (AlarmState.ActiveUnacknowledged or AlarmState.ActiveAcknowledged)) return;
        alarm.Priority = priority;
        // Worse than when it was acknowledged: it is announced again (flashing, tone, siren) until acknowledged again.
        Emit(alarm, AlarmState.ActiveUnacknowledged, at, reason: reason);
    }

    /// <summary>
    /// An active overdue alarm learns of a second vehicle it may be about: one of the two left by an
    /// unread exit and the other is inside. The transition repeats the state with the suspect added.
    /// </summary>
    public void NameSecondSuspect(Guid id, AlarmAlternative suspect, DateTimeOffset at, AlarmReason reason)
    {
        if (!_open.TryGetValue(id, out var alarm) || alarm.Raised.Alternative is not null) return;
        if (alarm.State is not (AlarmState.ActiveUnacknowledged or AlarmState.ActiveAcknowledged)) return;
        alarm.Raised = alarm.Raised with { Alternative = suspect };
        Emit(alarm, alarm.State, at, reason: reason);
    }

    private Alarm Require(Guid id) =>
        _open.GetValueOrDefault(id) ?? throw new NoOpenAlarmException(id);

    private void Emit(Alarm alarm, AlarmState state, DateTimeOffset at, string? by = null, string? note = null,
        AlarmReason? reason = null, DateTimeOffset? shelvedUntil = null)
    {
        alarm.State = state;
        if (state == AlarmState.Closed) _open.Remove(alarm.Id);
        // Without a reason of its own, a transition repeats the raising one, code and arguments with it.
        var transition = alarm.Raised with
        {
            State = state, Priority = alarm.Priority, At = at, By = by, Note = note, ShelvedUntil = shelvedUntil ?? alarm.ShelvedUntil,
            ElapsedSeconds = alarm.Raised.EnteredAt is { } entered ? Math.Round((at - entered).TotalSeconds, 1) : null,
        };
        Sink(reason is null ? transition : transition.WithReason(reason));
    }
}

public class AlarmStateException(string message) : InvalidOperationException(message);

/// <summary>No open alarm has the id: it never was, or it is closed.</summary>
public sealed class NoOpenAlarmException(Guid id) : AlarmStateException($"no open alarm {id}")
{
    public Guid AlarmId { get; } = id;
}
