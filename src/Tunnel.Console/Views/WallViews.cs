using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.WebConsole.Live;

namespace Tunnel.WebConsole.Views;

/// <summary>What the wall shows, as plain JSON (enums as their contract names), plates masked per viewer.</summary>
public sealed record WallSnapshot(DateTimeOffset At, bool PlatesMasked, IReadOnlyList<BoreDto> Bores, IReadOnlyList<AlarmDto> Alarms);

public sealed record BoreDto(string Site, string Bore, long Occupancy, bool Congested, double UsualTransitSeconds, long Entries, long Exits,
    IReadOnlyList<VehicleDto> Inside);

public sealed record VehicleDto(Guid EntryEventId, string? Plate, string? PlateColor, string VehicleClass, bool Hazmat, int Lane,
    DateTimeOffset EnteredAt, double ElapsedSeconds, double ExpectedSeconds, Guid? AlarmId, bool ProbablyLeft);

/// <summary>
/// An alarm as the wall shows it. <see cref="ReasonCode"/> and <see cref="ReasonArgs"/> come as the service
/// wrote them: the browser words a code it knows in the reader's language, and shows <see cref="Reason"/>
/// as written for none (an older alarm) or one it does not know.
/// </summary>
public sealed record AlarmDto(Guid AlarmId, string Kind, string State, string Priority, string Site, string Bore, string? Plate,
    DateTimeOffset RaisedAt, DateTimeOffset? EnteredAt, int? Lane, string? VehicleClass, bool Hazmat, string? Reason,
    DateTimeOffset? ShelvedUntil, string? By = null, string? Note = null, DateTimeOffset? At = null, string? PlateColor = null,
    SuspectDto? SecondSuspect = null, string? ReasonCode = null, IReadOnlyDictionary<string, string>? ReasonArgs = null);

/// <summary>The other vehicle an overdue alarm may be about: one of the two left unseen, the other is inside.</summary>
public sealed record SuspectDto(string? Plate, int Lane, DateTimeOffset EnteredAt, string VehicleClass)
{
    public static SuspectDto? Of(AlarmAlternative? a, bool plates) =>
        a is null ? null : new(PlateMask.Apply(a.Plate, plates), a.Lane, a.EnteredAt, TunnelJson.Name(a.VehicleClass));
}

public static class WallProjection
{
    /// <summary>A busy bore holds about 70 vehicles; the cap only bounds a broken feed.</summary>
    private const int MaxVehiclesPerBore = 300;

    /// <summary>With <paramref name="latest"/>, each alarm's latest transition (see <see cref="LatestTransitions"/>).</summary>
    public static WallSnapshot Of(CentralSnapshot s, bool plates, LatestTransitions? latest = null) => new(
        s.At, !plates,
        s.Bores.Select(b => new BoreDto(b.Bore.Site, b.Bore.Bore, b.Occupancy, b.Congested, b.UsualTransit.TotalSeconds, b.Entries, b.Exits,
            b.Inside.Take(MaxVehiclesPerBore).Select(v => new VehicleDto(v.EntryEventId, PlateMask.Apply(v.Plate, plates),
                v.Color is { } c ? TunnelJson.Name(c) : null, TunnelJson.Name(v.Class), v.Hazmat, v.Lane, v.EnteredAt,
                Math.Round(v.Elapsed.TotalSeconds, 1), Math.Round(v.Expected.TotalSeconds, 1), v.AlarmId, v.ProbablyLeft)).ToList())).ToList(),
        s.OpenAlarms.Select(a => Of(a, plates, latest?.Find(a.AlarmId))).ToList());

    /// <summary>
    /// An open alarm; with its <paramref name="latest"/> transition, that one's reason, who and note (a shelve's
    /// reason, an escalation), not the raising reason the snapshot keeps.
    /// </summary>
    public static AlarmDto Of(AlarmView a, bool plates, AlarmTransition? latest = null)
    {
        var (reason, code, args) = latest is null ? (a.Reason, a.ReasonCode, a.ReasonArgs) : (latest.Reason, latest.ReasonCode, latest.ReasonArgs);
        return new(
            a.AlarmId, TunnelJson.Name(a.Kind), TunnelJson.Name(a.State), TunnelJson.Name(a.Priority), a.Bore.Site, a.Bore.Bore,
            PlateMask.Apply(a.Plate, plates), a.RaisedAt, a.EnteredAt, a.Lane, a.VehicleClass is { } k ? TunnelJson.Name(k) : null,
            a.Hazmat, reason is null ? null : PlateMask.InText(reason, plates), a.ShelvedUntil, latest?.By,
            latest?.Note is { } note ? PlateMask.InText(note, plates) : null, latest?.At,
            a.PlateColor is { } c ? TunnelJson.Name(c) : null, SuspectDto.Of(a.SecondSuspect, plates), code, Masked(args, plates));
    }

    /// <summary>One transition as it went by (RaisedAt is unknown here; the next snapshot fills it in).</summary>
    public static AlarmDto Of(AlarmTransition t, bool plates) => new(
        t.AlarmId, TunnelJson.Name(t.Kind), TunnelJson.Name(t.State), TunnelJson.Name(t.Priority), t.Site, t.Bore,
        PlateMask.Apply(t.Plate, plates), t.At, t.EnteredAt, t.Lane, t.VehicleClass is { } k ? TunnelJson.Name(k) : null,
        // A shelve reason and a note are an operator's words, which may name a vehicle or a driver's phone.
        t.Hazmat ?? false, t.Reason is null ? null : PlateMask.InText(t.Reason, plates), t.ShelvedUntil, t.By,
        t.Note is null ? null : PlateMask.InText(t.Note, plates), t.At, t.PlateColor is { } c ? TunnelJson.Name(c) : null,
        SuspectDto.Of(t.Alternative, plates), t.ReasonCode, Masked(t.ReasonArgs, plates));

    /// <summary>A reason's arguments: a shelve's is an operator's text, a plate or phone number in it as personal as any.</summary>
    private static IReadOnlyDictionary<string, string>? Masked(IReadOnlyDictionary<string, string>? args, bool plates) =>
        plates || args is null ? args : args.ToDictionary(kv => kv.Key, kv => PlateMask.InText(kv.Value, visible: false));
}
