using Tunnel.Central.Engine;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;

namespace Tunnel.Central.Service;

/// <summary>An immutable picture of the service for screens and endpoints, made by the loop that owns the engine.</summary>
public sealed record CentralSnapshot(
    DateTimeOffset At,
    IReadOnlyList<BoreView> Bores,
    IReadOnlyList<AlarmView> OpenAlarms,
    IReadOnlyList<AgentStatus> Agents,
    long Accepted, long Duplicates, long DeadLettered,
    IReadOnlyDictionary<string, long> RejectedByReason,
    int StoreBacklog)
{
    public static readonly CentralSnapshot Empty = new(DateTimeOffset.MinValue, [], [], [], 0, 0, 0, new Dictionary<string, long>(), 0);

    /// <param name="snapshotsRefused">Snapshots refused by reason (their codes are not the passages'): in <see cref="RejectedByReason"/> too.</param>
    public static CentralSnapshot Of(TunnelEngine engine, IReadOnlyDictionary<string, AgentStatus> agents, PassageIngest ingest,
        PassageValidator validator, IReadOnlyDictionary<string, long>? snapshotsRefused, int storeBacklog, DateTimeOffset now)
    {
        var bores = engine.Bores.Values.Select(b => new BoreView(
            b.Key, b.Occupancy, b.Congested, b.Matcher.Times[0].Median, b.Counters.Entries, b.Counters.Exits,
            b.Matcher.AllOpen.OrderBy(t => t.EnteredAt).Select(t => new VehicleInside(
                t.EntryEventId, t.Plate?.Text, t.Plate?.Color, t.Class, t.Hazmat, t.Lane, t.EnteredAt,
                now - t.EnteredAt, b.Matcher.TimesFor(t).Median, t.AlarmId, t.ProbableExit is not null)).ToList())).ToList();
        var alarms = engine.Alarms.Open.OrderBy(a => a.Priority).ThenBy(a => a.RaisedAt).Select(a => new AlarmView(
            a.Id, a.Kind, a.State, a.Priority, a.Bore, a.Raised.Plate, a.RaisedAt, a.Raised.EnteredAt, a.Raised.Lane,
            a.Raised.VehicleClass, a.Raised.Hazmat ?? false, a.Raised.Reason, a.ShelvedUntil, a.Raised.Alternative,
            a.Raised.ReasonCode, a.Raised.ReasonArgs, a.Raised.PlateColor)).ToList();
        return new CentralSnapshot(now, bores, alarms, agents.Values.ToList(), ingest.Accepted, ingest.Duplicates, ingest.DeadLettered,
            validator.RejectedCounts().Where(kv => kv.Value > 0).Select(kv => KeyValuePair.Create(kv.Key.Code(), kv.Value))
                .Concat(snapshotsRefused ?? new Dictionary<string, long>()).ToDictionary(), storeBacklog);
    }
}

public sealed record BoreView(BoreKey Bore, long Occupancy, bool Congested, TimeSpan UsualTransit, long Entries, long Exits,
    IReadOnlyList<VehicleInside> Inside);

public sealed record VehicleInside(Guid EntryEventId, string? Plate, PlateColor? Color, VehicleClass Class, bool Hazmat, int Lane,
    DateTimeOffset EnteredAt, TimeSpan Elapsed, TimeSpan Expected, Guid? AlarmId, bool ProbablyLeft);

public sealed record AlarmView(Guid AlarmId, AlarmKind Kind, AlarmState State, AlarmPriority Priority, BoreKey Bore, string? Plate,
    DateTimeOffset RaisedAt, DateTimeOffset? EnteredAt, int? Lane, VehicleClass? VehicleClass, bool Hazmat, string? Reason,
    DateTimeOffset? ShelvedUntil, AlarmAlternative? SecondSuspect = null, string? ReasonCode = null,
    IReadOnlyDictionary<string, string>? ReasonArgs = null, PlateColor? PlateColor = null);
