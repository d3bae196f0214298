using Tunnel.Core.Contracts;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

/// <summary>Passages counted per UTC hour and kind: the building block of volume reports (no plates).</summary>
public sealed record HourlyCount(DateTimeOffset Hour, string Site, string Bore, string Portal, string VehicleClass, bool Hazmat, long Passages);

/// <summary>The durations of the measured transits of one bore and class that entered in one period, shortest first (no plates).</summary>
public sealed record TransitDurationGroup(int Period, string Site, string Bore, string? VehicleClass, IReadOnlyList<double> Seconds);

/// <summary>
/// Transits that entered in a report's periods and have no measured duration: the exit was the matcher's guess (an exit whose
/// plate was unread or matched no one, taken to be this vehicle's), the vehicle was alarmed as overdue (an incident), or it was
/// never seen leaving (the engine stopped tracking it).
/// </summary>
public sealed record TransitsLeftOut(int GuessedExit, int Overdue, int NeverSeenLeaving);

/// <summary>A report's transit times: the measured durations by period, bore and class, and the transits left out of them.</summary>
public sealed record TransitDurations(IReadOnlyList<TransitDurationGroup> Groups, TransitsLeftOut LeftOut);

/// <summary>
/// One overdue alarm: when it was raised and first acknowledged (by a person), how it stands now, the
/// operators' last verdict on it, whether a late passage showed the vehicle had left before it was raised, and
/// the plate's colour as its latest transition gives it (retention blanks the plate, not the colour).
/// </summary>
public sealed record OverdueIncident(Guid AlarmId, string Site, string Bore, string? Plate, string Priority, string State,
    DateTimeOffset RaisedAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? Verdict, bool Retracted, string? PlateColor);

public sealed partial class TunnelStore
{
    /// <summary>
    /// Passages counted per UTC hour of capture, site, bore, portal, class and hazmat flag, for the hours
    /// that begin in [from, to) (<paramref name="from"/> taken back to its hour). Read from the counts kept
    /// as passages are stored, so a year costs about as little as a day.
    /// </summary>
    public IReadOnlyList<HourlyCount> HourlyCounts(DateTimeOffset from, DateTimeOffset to) =>
        Query("""
              SELECT hour_start, site, bore, portal, vehicle_class, hazmat, passages FROM hourly_counts
              WHERE hour_start >= @from AND hour_start < @to
              ORDER BY hour_start, site, bore, portal, vehicle_class, hazmat
              """,
            r => new HourlyCount(_dialect.ReadTime(r, 0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetBoolean(5),
                Convert.ToInt64(r.GetValue(6))),
            ("@from", Col.Time, new DateTimeOffset(from.UtcTicks - from.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero)), ("@to", Col.Time, to));

    /// <summary>
    /// Passages captured in [from, to) counted by site, bore, portal, class and hazmat flag from the passages themselves,
    /// each count with <see cref="HourlyCount.Hour"/> = <paramref name="from"/>: for the part of an hour a report's day or
    /// month takes when it does not begin on a whole UTC hour (a zone 30 or 45 minutes off UTC), which the hourly counts cannot split.
    /// </summary>
    public IReadOnlyList<HourlyCount> PassageCounts(DateTimeOffset from, DateTimeOffset to) =>
        Query("""
              SELECT site, bore, portal, vehicle_class, hazmat, COUNT(*) FROM passages
              WHERE captured_at >= @from AND captured_at < @to
              GROUP BY site, bore, portal, vehicle_class, hazmat
              ORDER BY site, bore, portal, vehicle_class, hazmat
              """,
            r => new HourlyCount(from, r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), Convert.ToInt64(r.GetValue(5))),
            ("@from", Col.Time, from), ("@to", Col.Time, to));

    /// <summary>
    /// Vehicles flagged hazmat at a bore's exit in [from, to) and not at its entry: exit passages flagged hazmat that no transit
    /// with a hazmat entry claims (the entry camera missed the orange panel, or the exit matched no entry). With the entries flagged
    /// hazmat they count every vehicle either portal saw as hazmat once, a tanker flagged at both by its entry.
    /// </summary>
    public long HazmatOnlyAtExit(DateTimeOffset from, DateTimeOffset to) =>
        Query(_dialect.Ddl(HazmatOnlyAtExitSql), r => Convert.ToInt64(r.GetValue(0)), ("@from", Col.Time, from), ("@to", Col.Time, to)).Single();

    // The conditions are literals, not parameters, so that partial indexes of the few hazmat exit passages and hazmat transits can
    // serve them ({true} as the dialect writes it).
    internal static string HazmatOnlyAtExitSql => $$"""
        SELECT COUNT(*) FROM passages p
        WHERE p.hazmat = {true} AND p.portal = '{{TunnelJson.Name(Portal.Exit)}}' AND p.captured_at >= @from AND p.captured_at < @to
          AND NOT EXISTS (SELECT 1 FROM transits t WHERE t.exit_event_id = p.event_id AND t.hazmat = {true})
        """;

    /// <summary>
    /// Statuses of a transit whose exit camera read the same plate as its entry camera, exactly or nearly (the matcher's
    /// <c>ExitMatch</c> names, as it writes them to <see cref="TransitRecord.Status"/>): its duration is measured. Any other exit
    /// was inferred, a guess of which unmatched exit was the vehicle's, and a wrong guess is some other vehicle's time.
    /// </summary>
    public static readonly IReadOnlyList<string> PlateMatchedStatuses = ["exact", "fuzzy"];

    /// <summary>What a transit's time is to a report, as the query below sorts it.</summary>
    private enum Timing { Measured, GuessedExit, Overdue, NeverSeenLeaving }

    /// <summary>
    /// Durations of the transits whose exit was matched by plate (<see cref="PlateMatchedStatuses"/>), grouped by the period they
    /// entered in (period i is [<paramref name="starts"/>[i], <paramref name="starts"/>[i + 1])), bore and class, and how many of the
    /// others were left out. A guessed exit would mix another vehicle's time in; a vehicle alarmed as overdue (a breakdown, most
    /// often) is an incident, and on a quiet day one would set its class's 95th percentile. Read row by row into the groups: a
    /// month of full traffic is 1.4 million transits, which as rows cost 400 MB and 3 s per report.
    /// </summary>
    public TransitDurations TransitDurationsBy(IReadOnlyList<DateTimeOffset> starts)
    {
        ArgumentNullException.ThrowIfNull(starts);
        if (starts.Count < 2) return new TransitDurations([], new TransitsLeftOut(0, 0, 0));
        var (groups, leftOut) = Read(connection =>
        {
            var byKey = new Dictionary<(int Period, string Site, string Bore, string? Class), List<double>>();
            var others = new int[Enum.GetValues<Timing>().Length];
            using var command = _dialect.Command(connection, null, $"""
                SELECT entered_at, site, bore, vehicle_class, transit_seconds,
                       CASE WHEN status IN (@exact, @fuzzy) AND transit_seconds IS NOT NULL THEN {(int)Timing.Measured}
                            WHEN status LIKE @overdue THEN {(int)Timing.Overdue}
                            WHEN transit_seconds IS NULL THEN {(int)Timing.NeverSeenLeaving}
                            ELSE {(int)Timing.GuessedExit} END
                FROM transits
                WHERE entered_at >= @from AND entered_at < @to
                ORDER BY entered_at
                """, ("@from", Col.Time, starts[0]), ("@to", Col.Time, starts[^1]), ("@overdue", Col.Text, "%" + TransitRecord.OverdueMark),
                ("@exact", Col.Text, PlateMatchedStatuses[0]), ("@fuzzy", Col.Text, PlateMatchedStatuses[1]));
            using var reader = command.ExecuteReader();
            var period = 0;
            while (reader.Read())
            {
                var timing = (Timing)reader.GetInt32(5);
                if (timing != Timing.Measured)
                {
                    others[(int)timing]++;
                    continue;
                }
                var entered = _dialect.ReadTime(reader, 0);
                while (entered >= starts[period + 1]) period++;
                var key = (period, reader.GetString(1), reader.GetString(2), NullableString(reader, 3));
                if (!byKey.TryGetValue(key, out var seconds)) byKey[key] = seconds = [];
                seconds.Add(reader.GetDouble(4));
            }
            return (byKey, new TransitsLeftOut(others[(int)Timing.GuessedExit], others[(int)Timing.Overdue], others[(int)Timing.NeverSeenLeaving]));
        });
        return new TransitDurations([.. groups.Select(g =>
        {
            g.Value.Sort();
            return new TransitDurationGroup(g.Key.Period, g.Key.Site, g.Key.Bore, g.Key.Class, g.Value);
        })], leftOut);
    }

    /// <summary>
    /// Overdue alarms raised in [from, to), oldest first. Acknowledged means the first transition a
    /// person made into acknowledged (or closed, acknowledging a cleared alarm); notes and shelving are not.
    /// </summary>
    public IReadOnlyList<OverdueIncident> OverdueIncidents(DateTimeOffset from, DateTimeOffset to) =>
        Query("""
              SELECT c.alarm_id, c.site, c.bore, c.plate_text, c.priority, c.state, t.raised, t.acked,
                     (SELECT MIN(a.actor) FROM alarm_transitions a WHERE a.alarm_id = c.alarm_id AND a.at = t.acked AND a.actor IS NOT NULL
                        AND a.state IN (@acknowledged, @closed)),
                     (SELECT v.verdict FROM alarm_verdicts v WHERE v.alarm_id = c.alarm_id ORDER BY v.at DESC, v.id DESC LIMIT 1),
                     CASE WHEN EXISTS (SELECT 1 FROM alarm_transitions a WHERE a.alarm_id = c.alarm_id AND a.json LIKE @retracted)
                          THEN 1 ELSE 0 END,
                     c.json
              FROM alarms_current c
              JOIN (SELECT alarm_id,
                           MIN(CASE WHEN state = @raised THEN at END) AS raised,
                           MIN(CASE WHEN actor IS NOT NULL AND state IN (@acknowledged, @closed) THEN at END) AS acked
                    FROM alarm_transitions WHERE kind = @overdue GROUP BY alarm_id) t ON t.alarm_id = c.alarm_id
              WHERE t.raised >= @from AND t.raised < @to
              ORDER BY t.raised, c.alarm_id
              """,
            r => new OverdueIncident(r.GetGuid(0), r.GetString(1), r.GetString(2), NullableString(r, 3), r.GetString(4), r.GetString(5),
                _dialect.ReadTime(r, 6), _dialect.ReadTimeOrNull(r, 7), NullableString(r, 8), NullableString(r, 9), Convert.ToInt32(r.GetValue(10)) == 1,
                ReadAlarm(r.GetString(11)).PlateColor is { } color ? TunnelJson.Name(color) : null),
            ("@raised", Col.Text, TunnelJson.Name(AlarmState.ActiveUnacknowledged)),
            ("@acknowledged", Col.Text, TunnelJson.Name(AlarmState.ActiveAcknowledged)),
            ("@closed", Col.Text, TunnelJson.Name(AlarmState.Closed)),
            ("@overdue", Col.Text, TunnelJson.Name(AlarmKind.Overdue)),
            // The reason code as the serializer writes it; its transitions are stored as that JSON.
            ("@retracted", Col.Text, $"%\"reasonCode\":\"{AlarmReason.Retracted(default).Code}\"%"),
            ("@from", Col.Time, from), ("@to", Col.Time, to));
}
