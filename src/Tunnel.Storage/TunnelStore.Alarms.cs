using Tunnel.Core.Contracts;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

public sealed partial class TunnelStore
{
    private static readonly BulkInsert AlarmHistoryInsert = new("alarm_transitions",
    [
        ("alarm_id", Col.Uuid), ("at", Col.Time), ("kind", Col.Text), ("state", Col.Text), ("priority", Col.Text),
        ("site", Col.Text), ("bore", Col.Text), ("plate_text", Col.Text), ("actor", Col.Text), ("note", Col.Text), ("json", Col.Text),
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
            t.Site, t.Bore, t.Plate, t.By, t.Note, TunnelJson.Serialize(t),
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

    /// <summary>Every stored transition of one alarm, oldest first.</summary>
    public IReadOnlyList<AlarmTransition> AlarmHistory(Guid alarmId) =>
        Query("SELECT json FROM alarm_transitions WHERE alarm_id = @id ORDER BY at, id", r => ReadAlarm(r.GetString(0)), ("@id", Col.Uuid, alarmId));

    /// <summary>The latest transition of each alarm, oldest first; closed alarms only when asked for.</summary>
    public IReadOnlyList<AlarmTransition> CurrentAlarms(bool includeClosed = false) =>
        Query($"SELECT json FROM alarms_current{(includeClosed ? "" : " WHERE state <> @closed")} ORDER BY at, alarm_id",
            r => ReadAlarm(r.GetString(0)), ("@closed", Col.Text, TunnelJson.Name(AlarmState.Closed)));

    private static AlarmTransition ReadAlarm(string json) =>
        TunnelJson.Deserialize<AlarmTransition>(json) ?? throw new InvalidDataException("null alarm json in store");
}
