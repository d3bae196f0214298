using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

public sealed partial class TunnelStore
{
    private const int PurgeChunk = 500;

    /// <summary>
    /// Plates are personal data: blanks the plate text (to "", also inside the stored JSON) of
    /// passages captured, transits entered and alarm rows changed before <paramref name="cutoff"/>,
    /// and drops the raw payload of dead letters received before it (a payload may carry a plate).
    /// Unread plates stay <c>null</c>. Works in short transactions so the writer is never held up
    /// for long; safe to repeat. The purge itself is audited.
    /// </summary>
    public PurgeResult PurgePlates(DateTimeOffset cutoff, string actor = "retention")
    {
        var passages = BlankJsonRows("passages", "id", Col.Long, "captured_at", cutoff, "plate_text <> ''", json =>
            TunnelJson.Deserialize<Passage>(json) is { } p ? TunnelJson.Serialize(p with { Plate = p.Plate is null ? null : p.Plate with { Text = "" } }) : null);
        var transits = InChunks(BlankTransits, cutoff);
        var history = BlankJsonRows("alarm_transitions", "id", Col.Long, "at", cutoff, AlarmPlateKept, BlankAlarmPlate);
        var current = BlankJsonRows("alarms_current", "alarm_id", Col.Uuid, "at", cutoff, AlarmPlateKept, BlankAlarmPlate);
        var deadLetters = InChunks(DropDeadLetterPayloads, cutoff);
        var texts = MaskOperatorTexts(cutoff);
        var result = new PurgeResult(passages, transits, history, current, deadLetters) { Texts = texts };
        Audit(actor, "purge-plates", $"before {cutoff.UtcDateTime:O}",
            $"passages={passages} transits={transits} alarm-transitions={history} current-alarms={current} dead-letters={deadLetters} texts={texts}",
            _clock.GetUtcNow());
        return result;
    }

    private const string TextsMaskedBeforeKey = "retention.texts-masked-before";

    /// <summary>
    /// Operators' free text may quote a plate or a phone number: alarm notes and shelve reasons, notes of contact
    /// attempts and of verdicts, written before <paramref name="cutoff"/>, get them masked (<see cref="PlateMask.InText"/>).
    /// Each row once: the store remembers up to when it has done so.
    /// </summary>
    private long MaskOperatorTexts(DateTimeOffset cutoff)
    {
        var from = LoadConfig(TextsMaskedBeforeKey) is { } saved ? TunnelJson.Deserialize<DateTimeOffset>(saved) : DateTimeOffset.MinValue;
        if (cutoff <= from) return 0;
        var masked = MaskJsonRows("alarm_transitions", "id", Col.Long, from, cutoff, noteColumn: true)
                     + MaskJsonRows("alarms_current", "alarm_id", Col.Uuid, from, cutoff, noteColumn: false);
        foreach (var table in new[] { "contact_attempts", "alarm_verdicts" })
            masked += Write((connection, transaction) =>
            {
                var rows = new List<(long Id, string Note)>();
                using (var select = _dialect.Command(connection, transaction,
                           $"SELECT id, note FROM {table} WHERE at >= @from AND at < @to AND note IS NOT NULL", ("@from", Col.Time, from), ("@to", Col.Time, cutoff)))
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1)));
                }
                var changed = 0L;
                foreach (var (id, note) in rows)
                {
                    var masked = PlateMask.InText(note, visible: false);
                    if (masked == note) continue;
                    _dialect.Execute(connection, transaction, $"UPDATE {table} SET note = @note WHERE id = @id", ("@note", Col.Text, masked), ("@id", Col.Long, id));
                    changed++;
                }
                return changed;
            });
        SaveConfig(TextsMaskedBeforeKey, TunnelJson.Serialize(cutoff), _clock.GetUtcNow());
        return masked;
    }

    /// <summary>Masks the note, the reason and the reason's arguments inside alarm rows of [from, to), a chunk per transaction.</summary>
    private long MaskJsonRows(string table, string key, Col keyType, DateTimeOffset from, DateTimeOffset to, bool noteColumn)
    {
        long total = 0;
        object? after = null;
        while (true)
        {
            var (read, changed, last) = Write((connection, transaction) =>
            {
                var rows = new List<(object Key, string Json, string? Note)>();
                (string, Col, object?)[] window = after is null
                    ? [("@from", Col.Time, from), ("@to", Col.Time, to)]
                    : [("@from", Col.Time, from), ("@to", Col.Time, to), ("@after", keyType, after)];
                using (var select = _dialect.Command(connection, transaction,
                           $"SELECT {key}, json{(noteColumn ? ", note" : "")} FROM {table} WHERE at >= @from AND at < @to{(after is null ? "" : $" AND {key} > @after")} ORDER BY {key} LIMIT {PurgeChunk}",
                           window))
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                        rows.Add((keyType == Col.Uuid ? reader.GetGuid(0) : reader.GetInt64(0), reader.GetString(1), noteColumn ? NullableString(reader, 2) : null));
                }
                var updates = 0;
                foreach (var (rowKey, json, note) in rows)
                {
                    if (ReadAlarmOrNull(json) is not { } alarm)
                    {
                        var text = Unreadable(json);
                        var maskedNote = note is null ? null : PlateMask.InText(note, visible: false);
                        if (text == json && maskedNote == note) continue;
                        _dialect.Execute(connection, transaction, $"UPDATE {table} SET json = @json{(noteColumn ? ", note = @note" : "")} WHERE {key} = @key",
                            ("@json", Col.Text, text), ("@note", Col.Text, maskedNote), ("@key", keyType, rowKey));
                        updates++;
                        continue;
                    }
                    var masked = alarm with
                    {
                        Note = alarm.Note is null ? null : PlateMask.InText(alarm.Note, visible: false),
                        Reason = alarm.Reason is null ? null : PlateMask.InText(alarm.Reason, visible: false),
                        ReasonArgs = alarm.ReasonArgs?.ToDictionary(kv => kv.Key, kv => PlateMask.InText(kv.Value, visible: false)),
                    };
                    if (masked.Note == alarm.Note && masked.Reason == alarm.Reason
                        && (alarm.ReasonArgs is null || masked.ReasonArgs!.SequenceEqual(alarm.ReasonArgs))) continue;
                    _dialect.Execute(connection, transaction,
                        $"UPDATE {table} SET json = @json{(noteColumn ? ", note = @note" : "")} WHERE {key} = @key",
                        ("@json", Col.Text, TunnelJson.Serialize(masked)), ("@note", Col.Text, masked.Note), ("@key", keyType, rowKey));
                    updates++;
                }
                return (rows.Count, updates, rows.Count > 0 ? rows[^1].Key : null);
            });
            total += changed;
            if (read < PurgeChunk) return total;
            after = last;
        }
    }

    /// <summary>
    /// Deletes dead letters received before <paramref name="cutoff"/>: kept for inspection, not for ever. An agent
    /// sending garbage would otherwise fill the disk with them. Audited; safe to repeat.
    /// </summary>
    public long DeleteDeadLetters(DateTimeOffset cutoff, string actor = "retention")
    {
        var deleted = InChunks(
            $"DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE received_at < @cutoff ORDER BY received_at LIMIT {PurgeChunk})", cutoff);
        if (deleted > 0) Audit(actor, "purge-dead-letters", $"before {cutoff.UtcDateTime:O}", $"dead-letters={deleted}", _clock.GetUtcNow());
        return deleted;
    }

    // An alarm about an unread vehicle has no plate of its own but may name a second suspect's, read (in the JSON only:
    // as the serializer writes it, the plate first); once blanked that reads "plate":"" and the row is done.
    private const string AlarmPlateKept =
        """(plate_text <> '' OR (plate_text IS NULL AND json LIKE '%"alternative":{"plate":"%' AND json NOT LIKE '%"alternative":{"plate":""%'))""";

    private static string? BlankAlarmPlate(string json) =>
        // An unread plate stays unread (null), as in passages.
        ReadAlarmOrNull(json) is { } alarm
            ? TunnelJson.Serialize(alarm with
            {
                Plate = alarm.Plate is null ? null : "", Alternative = alarm.Alternative is { Plate: not null } other ? other with { Plate = "" } : alarm.Alternative,
            })
            : null;

    private static AlarmTransition? ReadAlarmOrNull(string json)
    {
        try { return TunnelJson.Deserialize<AlarmTransition>(json); }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// <paramref name="blank"/>'s rewrite of a row, or, for a row this build cannot read (written by another, or damaged), the row
    /// with its plates masked as a rejected message's payload is: one such row must not stop the purge of every row after it, hour after hour.
    /// </summary>
    private static string BlankOrMask(Func<string, string?> blank, string json)
    {
        try
        {
            if (blank(json) is { } blanked) return blanked;
        }
        catch (JsonException) { }
        return Unreadable(json);
    }

    private static string Unreadable(string json) => PlateMask.InPayload(json, visible: false) ?? PlateMask.InText(json, visible: false);

    // Each finds the oldest rows still to change through the indexes of those only (schema 7).
    internal static readonly string BlankTransits =
        $"UPDATE transits SET plate_text = '' WHERE entry_event_id IN (SELECT entry_event_id FROM transits WHERE entered_at < @cutoff AND plate_text <> '' ORDER BY entered_at LIMIT {PurgeChunk})";

    internal static readonly string DropDeadLetterPayloads =
        "UPDATE dead_letters SET payload = NULL, reason = '(purged: may have quoted a plate)' " +
        $"WHERE id IN (SELECT id FROM dead_letters WHERE received_at < @cutoff AND payload IS NOT NULL ORDER BY received_at LIMIT {PurgeChunk})";

    internal static string PassagesToBlank => BlankSelect("passages", "id", "captured_at", "plate_text <> ''");

    private static string BlankSelect(string table, string key, string timeColumn, string kept) =>
        $"SELECT {key}, json FROM {table} WHERE {timeColumn} < @cutoff AND {kept} ORDER BY {timeColumn} LIMIT {PurgeChunk}";

    /// <summary>
    /// Runs <paramref name="sql"/>, which changes at most <see cref="PurgeChunk"/> rows older than <paramref name="cutoff"/>, a
    /// transaction at a time until it changes fewer: a first purge over a year of rows never holds the writer for long.
    /// </summary>
    private long InChunks(string sql, DateTimeOffset cutoff)
    {
        long total = 0;
        while (true)
        {
            var changed = Write((connection, transaction) => _dialect.Execute(connection, transaction, sql, ("@cutoff", Col.Time, cutoff)));
            total += changed;
            if (changed < PurgeChunk) return total;
        }
    }

    /// <summary>Rewrites plate_text and json of rows older than the cutoff that <paramref name="kept"/> still names a plate in, a chunk per transaction.</summary>
    private long BlankJsonRows(string table, string key, Col keyType, string timeColumn, DateTimeOffset cutoff, string kept, Func<string, string?> blank)
    {
        long total = 0;
        while (true)
        {
            var (done, unchangedRows) = Write((connection, transaction) =>
            {
                var rows = new List<(object Key, string Json)>();
                using (var select = _dialect.Command(connection, transaction,
                           BlankSelect(table, key, timeColumn, kept), ("@cutoff", Col.Time, cutoff)))
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read()) rows.Add((keyType == Col.Uuid ? reader.GetGuid(0) : reader.GetInt64(0), reader.GetString(1)));
                }
                using var update = _dialect.Command(connection, transaction, $"UPDATE {table} SET plate_text = CASE WHEN plate_text IS NULL THEN NULL ELSE '' END, json = @json WHERE {key} = @key",
                    ("@json", Col.Text, ""), ("@key", keyType, null));
                var unchanged = 0;
                foreach (var (rowKey, json) in rows)
                {
                    var blanked = BlankOrMask(blank, json);
                    if (blanked == json) unchanged++;
                    _dialect.SetValue(update.Parameters[0], Col.Text, blanked);
                    _dialect.SetValue(update.Parameters[1], keyType, rowKey);
                    update.ExecuteNonQuery();
                }
                return (rows.Count, unchanged);
            });
            total += done;
            // A chunk that changed nothing would be read again and again (unreadable rows masked before, still naming a suspect).
            if (done < PurgeChunk || unchangedRows == done) return total;
        }
    }
}
