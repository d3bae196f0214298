using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Simulation.Tests;

/// <summary>Alarm transitions written by hand (or from the truth) to check the evaluator's arithmetic.</summary>
internal static class Oracle
{
    public static AlarmTransition Overdue(StopTruth stop, DateTimeOffset at, bool withEventId = true) => new()
    {
        AlarmId = Guid.NewGuid(),
        Kind = AlarmKind.Overdue,
        State = AlarmState.ActiveUnacknowledged,
        Priority = AlarmPriority.High,
        Site = stop.Site,
        Bore = stop.Bore,
        Plate = stop.EntryPlateRead,
        At = at,
        EntryEventId = withEventId ? stop.EntryEventId : null,
    };

    public static AlarmTransition Overdue(string site, string bore, string? plate, Guid? entryEventId, DateTimeOffset at) => new()
    {
        AlarmId = Guid.NewGuid(),
        Kind = AlarmKind.Overdue,
        State = AlarmState.ActiveUnacknowledged,
        Priority = AlarmPriority.High,
        Site = site,
        Bore = bore,
        Plate = plate,
        At = at,
        EntryEventId = entryEventId,
    };

    public static AlarmTransition Congestion(string site, string bore, DateTimeOffset at) => new()
    {
        AlarmId = Guid.NewGuid(),
        Kind = AlarmKind.Congestion,
        State = AlarmState.ActiveUnacknowledged,
        Priority = AlarmPriority.High,
        Site = site,
        Bore = bore,
        At = at,
    };
}
