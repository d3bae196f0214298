using Tunnel.Core.Contracts;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

/// <summary>An operator's verdict on an alarm: <see cref="TunnelStore.Confirmed"/> or <see cref="TunnelStore.FalseAlarm"/>.</summary>
public sealed record AlarmVerdict(long Id, Guid AlarmId, DateTimeOffset At, string Actor, string Verdict, string? Note);

/// <summary>A vehicle an operator saw leave, or found gone, where no camera did; the overdue alarm that named it closed with it.</summary>
public sealed record VehicleSeenLeaving(Guid EntryEventId, BoreKey Bore, Guid AlarmId, DateTimeOffset At, string Actor);

public sealed partial class TunnelStore
{
    private static readonly BulkInsert AlarmHistoryInsert = new("alarm_transitions",
    [
        ("alarm_id", Col.Uuid), ("at", Col.Time), ("kind", Col.Text), ("state", Col.Text), ("priority", Col.Text),
        ("site", Col.Text), ("bore", Col.Text), ("plate_text", Col.Text), ("actor", Col.Text), ("note", Col.Text), ("json", Col.Text),
        ("published", Col.Bool),
    ], "");

    // A transition older than the current row (a late one) goes to the history only.
    private static readonly BulkInsert AlarmCurrentUpsert = new("alarms_current",
    [
        ("alarm_id", Col.Uuid), ("at", Col.Time), ("kind", Col.Text), ("state", Col.Text), ("priority", Col.Text),
        ("site", Col.Text), ("bore", Col.Text), ("plate_text", Col.Text), ("json", Col.Text),
    ], """
       ON CONFLICT (alarm_id) DO UPDATE SET at = excluded.at, kind = excluded.kind, state = excluded.state,
           priority = excluded.priority, site = excluded.site, bore = excluded.bore, plate_text = excluded.plate_text, json = excluded.json
       WHERE excluded.at >= alarms_current.at
       """);

    /// <summary>
    /// Stores every transition (who, when, note) and moves each alarm's current row to its latest
    /// transition by time (a tie goes to the one stored last), in one transaction.
    /// </summary>
    public void AddAlarmTransitions(IReadOnlyList<AlarmTransition> transitions)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        if (transitions.Count > 0) Store(new StoreBatch { Alarms = transitions });
    }

    private static (List<object?[]> History, List<object?[]> Current) AlarmRows(IReadOnlyList<AlarmTransition> transitions)
    {
        var history = transitions.Select(t => (object?[])
        [
            t.AlarmId, t.At, TunnelJson.Name(t.Kind), TunnelJson.Name(t.State), TunnelJson.Name(t.Priority),
            t.Site, t.Bore, t.Plate, t.By, t.Note, TunnelJson.Serialize(t), false,
        ]).ToList();
        // Millisecond order, as stored; among equal times the later in the batch wins.
        var current = transitions
            .Select((t, i) => (t, i)).GroupBy(x => x.t.AlarmId)
            .Select(g => g.MaxBy(x => (x.t.At.ToUnixTimeMilliseconds(), x.i)).t)
            .Select(t => (object?[])
            [
                t.AlarmId, t.At, TunnelJson.Name(t.Kind), TunnelJson.Name(t.State), TunnelJson.Name(t.Priority),
                t.Site, t.Bore, t.Plate, TunnelJson.Serialize(t),
            ]).ToList();
        return (history, current);
    }

    /// <summary>Stored alarm transitions the MQTT broker has not accepted yet, in the order they were stored.</summary>
    public IReadOnlyList<AlarmTransition> UnpublishedAlarms() =>
        Query("SELECT json FROM alarm_transitions WHERE published = @no ORDER BY id", r => ReadAlarm(r.GetString(0)), ("@no", Col.Bool, false));

    private void MarkPublished(WriteSession session, System.Data.Common.DbTransaction transaction, IReadOnlyList<AlarmTransition> published)
    {
        // By alarm, time and state, which the (alarm_id, at) index finds, not by its text: the plate retention rewrites that.
        // One row per acceptance, the first stored: two transitions of one alarm may share all three (a second suspect
        // named in the same look as an escalation), and each is sent, and taken, on its own.
        foreach (var t in published)
            _dialect.Execute(session.Connection, transaction,
                "UPDATE alarm_transitions SET published = @yes WHERE id = (SELECT MIN(id) FROM alarm_transitions " +
                "WHERE alarm_id = @id AND at = @at AND state = @state AND published = @no)",
                ("@yes", Col.Bool, true), ("@no", Col.Bool, false), ("@id", Col.Uuid, t.AlarmId), ("@at", Col.Time, t.At),
                ("@state", Col.Text, TunnelJson.Name(t.State)));
    }

    /// <summary>Every stored transition of one alarm, oldest first.</summary>
    public IReadOnlyList<AlarmTransition> AlarmHistory(Guid alarmId) =>
        Query("SELECT json FROM alarm_transitions WHERE alarm_id = @id ORDER BY at, id", r => ReadAlarm(r.GetString(0)), ("@id", Col.Uuid, alarmId));

    /// <summary>The latest transition of each alarm, oldest first; closed alarms only when asked for.</summary>
    public IReadOnlyList<AlarmTransition> CurrentAlarms(bool includeClosed = false) =>
        Query($"SELECT json FROM alarms_current{(includeClosed ? "" : " WHERE state <> @closed")} ORDER BY at, alarm_id",
            r => ReadAlarm(r.GetString(0)), ("@closed", Col.Text, TunnelJson.Name(AlarmState.Closed)));

    /// <summary>Alarms closed with their last transition at or after <paramref name="since"/>: what a rebuild must not raise again.</summary>
    public IReadOnlySet<Guid> ClosedAlarmIds(DateTimeOffset since) =>
        Query("SELECT alarm_id FROM alarms_current WHERE state = @closed AND at >= @since", r => r.GetGuid(0),
            ("@closed", Col.Text, TunnelJson.Name(AlarmState.Closed)), ("@since", Col.Time, since)).ToHashSet();

    /// <summary>A vehicle really was in trouble (stopped, broken down, on fire).</summary>
    public const string Confirmed = "confirmed";
    /// <summary>Nothing was stopped: the vehicle had left, or was moving.</summary>
    public const string FalseAlarm = "false";

    public void AddAlarmVerdict(Guid alarmId, string actor, string verdict, string? note, DateTimeOffset at) =>
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            "INSERT INTO alarm_verdicts (alarm_id, at, actor, verdict, note) VALUES (@alarm, @at, @actor, @verdict, @note)",
            ("@alarm", Col.Uuid, alarmId), ("@at", Col.Time, at), ("@actor", Col.Text, actor), ("@verdict", Col.Text, verdict), ("@note", Col.Text, note)));

    /// <summary>Verdicts given on one alarm, oldest first (the last one stands).</summary>
    public IReadOnlyList<AlarmVerdict> AlarmVerdicts(Guid alarmId) =>
        Query("SELECT id, alarm_id, at, actor, verdict, note FROM alarm_verdicts WHERE alarm_id = @alarm ORDER BY at, id",
            r => new AlarmVerdict(r.GetInt64(0), r.GetGuid(1), _dialect.ReadTime(r, 2), r.GetString(3), r.GetString(4), NullableString(r, 5)),
            ("@alarm", Col.Uuid, alarmId));

    /// <summary>Records vehicles seen leaving; a vehicle already recorded keeps its first record. Returns how many were new.</summary>
    public int AddVehiclesSeenLeaving(IReadOnlyCollection<VehicleSeenLeaving> seen) =>
        Write((connection, transaction) =>
        {
            var added = 0;
            foreach (var s in seen)
                added += _dialect.Execute(connection, transaction,
                    """
                    INSERT INTO vehicles_seen_leaving (entry_event_id, site, bore, alarm_id, at, actor) VALUES (@entry, @site, @bore, @alarm, @at, @actor)
                    ON CONFLICT (entry_event_id) DO NOTHING
                    """,
                    ("@entry", Col.Uuid, s.EntryEventId), ("@site", Col.Text, s.Bore.Site), ("@bore", Col.Text, s.Bore.Bore),
                    ("@alarm", Col.Uuid, s.AlarmId), ("@at", Col.Time, s.At), ("@actor", Col.Text, s.Actor));
            return added;
        });

    /// <summary>Vehicles seen leaving since a moment, oldest first: what a rebuild replays with the passages.</summary>
    public IReadOnlyList<VehicleSeenLeaving> VehiclesSeenLeavingSince(DateTimeOffset since) =>
        Query("SELECT entry_event_id, site, bore, alarm_id, at, actor FROM vehicles_seen_leaving WHERE at >= @since ORDER BY at, entry_event_id",
            r => new VehicleSeenLeaving(r.GetGuid(0), new BoreKey(r.GetString(1), r.GetString(2)), r.GetGuid(3), _dialect.ReadTime(r, 4), r.GetString(5)),
            ("@since", Col.Time, since));

    private static AlarmTransition ReadAlarm(string json) =>
        TunnelJson.Deserialize<AlarmTransition>(json) ?? throw new InvalidDataException("null alarm json in store");
}
