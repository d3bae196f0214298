using System.Data.Common;
using Tunnel.Core.Contracts;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

public sealed partial class TunnelStore
{
    private const string TransitColumns =
        "entry_event_id, site, bore, lane, plate_text, plate_color, vehicle_class, hazmat, entered_at, exit_event_id, exited_at, transit_seconds, status";

    private static readonly BulkInsert TransitUpsert = new("transits",
    [
        ("entry_event_id", Col.Uuid), ("site", Col.Text), ("bore", Col.Text), ("lane", Col.Int), ("plate_text", Col.Text),
        ("plate_color", Col.Text), ("vehicle_class", Col.Text), ("hazmat", Col.Bool), ("entered_at", Col.Time),
        ("exit_event_id", Col.Uuid), ("exited_at", Col.Time), ("transit_seconds", Col.Real), ("status", Col.Text),
    ], """
       ON CONFLICT (entry_event_id) DO UPDATE SET site = excluded.site, bore = excluded.bore, lane = excluded.lane,
           plate_text = excluded.plate_text, plate_color = excluded.plate_color, vehicle_class = excluded.vehicle_class,
           hazmat = excluded.hazmat, entered_at = excluded.entered_at, exit_event_id = excluded.exit_event_id,
           exited_at = excluded.exited_at, transit_seconds = excluded.transit_seconds, status = excluded.status
       """);

    /// <summary>Inserts or replaces transits by entry event id, in one transaction. Within a batch the last record of an entry wins.</summary>
    public void UpsertTransits(IReadOnlyList<TransitRecord> transits)
    {
        ArgumentNullException.ThrowIfNull(transits);
        if (transits.Count > 0) Store(new StoreBatch { Transits = transits });
    }

    // One statement may not touch a row twice (PostgreSQL refuses), so keep the last of each entry.
    private static List<object?[]> TransitRows(IReadOnlyList<TransitRecord> transits) =>
        transits.Select((t, i) => (t, i)).GroupBy(x => x.t.EntryEventId).Select(g => g.Last()).OrderBy(x => x.i)
            .Select(x => TransitRow(x.t)).ToList();

    private static object?[] TransitRow(TransitRecord t) =>
    [
        t.EntryEventId, t.Site, t.Bore, t.Lane, t.Plate, EnumText<PlateColor>.Name(t.PlateColor), EnumText<VehicleClass>.Name(t.VehicleClass),
        t.Hazmat, t.EnteredAt, t.ExitEventId, t.ExitedAt, t.TransitSeconds, t.Status,
    ];

    public TransitRecord? GetTransit(Guid entryEventId) =>
        Query($"SELECT {TransitColumns} FROM transits WHERE entry_event_id = @id", ReadTransit, ("@id", Col.Uuid, entryEventId)).FirstOrDefault();

    /// <summary>Transits entered in [from, to), oldest first.</summary>
    public IReadOnlyList<TransitRecord> ReadTransits(DateTimeOffset fromEnteredAt, DateTimeOffset toEnteredAt, BoreKey? bore = null, int limit = 10_000)
    {
        var filter = new Filter()
            .Add("entered_at >= @from AND entered_at < @to", ("@from", Col.Time, fromEnteredAt), ("@to", Col.Time, toEnteredAt))
            .AddIf(bore is not null, "site = @site AND bore = @bore", ("@site", Col.Text, bore?.Site), ("@bore", Col.Text, bore?.Bore));
        return Query($"SELECT {TransitColumns} FROM transits{filter.Where} ORDER BY entered_at, entry_event_id LIMIT @limit",
            ReadTransit, filter.Parameters(("@limit", Col.Int, limit)));
    }

    /// <summary>A vehicle's history, newest first. Callers audit who looked.</summary>
    public IReadOnlyList<TransitRecord> TransitsByPlate(string plate, int limit = 100) =>
        Query($"SELECT {TransitColumns} FROM transits WHERE plate_text = @plate ORDER BY entered_at DESC LIMIT @limit",
            ReadTransit, ("@plate", Col.Text, plate), ("@limit", Col.Int, limit));

    private TransitRecord ReadTransit(DbDataReader r) => new()
    {
        EntryEventId = r.GetGuid(0),
        Site = r.GetString(1),
        Bore = r.GetString(2),
        Lane = r.GetInt32(3),
        Plate = NullableString(r, 4),
        PlateColor = EnumText<PlateColor>.ParseOrNull(NullableString(r, 5)),
        VehicleClass = EnumText<VehicleClass>.ParseOrNull(NullableString(r, 6)),
        Hazmat = r.GetBoolean(7),
        EnteredAt = _dialect.ReadTime(r, 8),
        ExitEventId = r.IsDBNull(9) ? null : r.GetGuid(9),
        ExitedAt = _dialect.ReadTimeOrNull(r, 10),
        TransitSeconds = r.IsDBNull(11) ? null : r.GetDouble(11),
        Status = r.GetString(12),
    };
}
