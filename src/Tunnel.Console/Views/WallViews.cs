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
/// as written for none (an older alarm) or one it does not know. Made with the alarm's <see cref="AlarmCard"/> (the
/// wall's snapshots and pushes), <see cref="Reason"/> is the alarm's own (the detector's latest), not a shelve's words or
/// the raising reason an acknowledgement repeats; the shelf (<see cref="ShelveReason"/>, <see cref="ShelvedBy"/>, while
/// shelved), the latest note, the latest contact with the driver and the latest verdict (<see cref="Verdict"/>: <c>confirmed</c>
/// or <c>false</c>, as the closed alarms' rows say it) come beside it, each kept until a newer one.
/// <see cref="By"/> and <see cref="At"/> are the latest transition's.
/// </summary>
public sealed record AlarmDto(Guid AlarmId, string Kind, string State, string Priority, string Site, string Bore, string? Plate,
    DateTimeOffset RaisedAt, DateTimeOffset? EnteredAt, int? Lane, string? VehicleClass, bool Hazmat, string? Reason,
    DateTimeOffset? ShelvedUntil, string? By = null, string? Note = null, DateTimeOffset? At = null, string? PlateColor = null,
    SuspectDto? SecondSuspect = null, string? ReasonCode = null, IReadOnlyDictionary<string, string>? ReasonArgs = null,
    string? NoteBy = null, DateTimeOffset? NoteAt = null, string? Contact = null, string? ContactBy = null, DateTimeOffset? ContactAt = null,
    string? ShelveReason = null, string? ShelvedBy = null, string? Verdict = null, string? VerdictBy = null, DateTimeOffset? VerdictAt = null);

/// <summary>
/// The other vehicle an overdue alarm may be about: one of the two left unseen, the other is inside. The alarm names its
/// plate, lane, entry, class, plate colour and hazmat flag; an alarm stored before it carried the last two takes them from
/// the vehicles inside while the vehicle is listed there (null: not known, never "no").
/// </summary>
public sealed record SuspectDto(string? Plate, int Lane, DateTimeOffset EnteredAt, string VehicleClass, Guid? EntryEventId = null,
    string? PlateColor = null, bool? Hazmat = null)
{
    public static SuspectDto? Of(AlarmAlternative? a, bool plates, VehicleInside? inside = null) =>
        a is null ? null : new(PlateMask.Apply(a.Plate, plates), a.Lane, a.EnteredAt, TunnelJson.Name(a.VehicleClass), a.EntryEventId,
            (a.PlateColor ?? inside?.Color) is { } c ? TunnelJson.Name(c) : null, a.Hazmat ?? inside?.Hazmat);
}

public static class WallProjection
{
    /// <summary>A busy bore holds about 70 vehicles; the cap only bounds a broken feed.</summary>
    private const int MaxVehiclesPerBore = 300;

    /// <summary>With <paramref name="cards"/>, each alarm's card (see <see cref="LatestTransitions"/>).</summary>
    public static WallSnapshot Of(CentralSnapshot s, bool plates, LatestTransitions? cards = null)
    {
        // An alarm stored before a second suspect's plate colour and hazmat flag travelled with it takes them from the vehicle
        // while it is listed inside.
        VehicleInside? Listed(AlarmAlternative? other) => other is { PlateColor: null, Hazmat: null }
            ? s.Bores.SelectMany(b => b.Inside).FirstOrDefault(v => v.EntryEventId == other.EntryEventId) : null;
        return new(
            s.At, !plates,
            s.Bores.Select(b => new BoreDto(b.Bore.Site, b.Bore.Bore, b.Occupancy, b.Congested, b.UsualTransit.TotalSeconds, b.Entries, b.Exits,
                b.Inside.Take(MaxVehiclesPerBore).Select(v => new VehicleDto(v.EntryEventId, PlateMask.Apply(v.Plate, plates),
                    v.Color is { } c ? TunnelJson.Name(c) : null, TunnelJson.Name(v.Class), v.Hazmat, v.Lane, v.EnteredAt,
                    Math.Round(v.Elapsed.TotalSeconds, 1), Math.Round(v.Expected.TotalSeconds, 1), v.AlarmId, v.ProbablyLeft)).ToList())).ToList(),
            s.OpenAlarms.Select(a => Of(a, plates, cards?.Find(a.AlarmId), Listed(a.SecondSuspect))).ToList());
    }

    /// <summary>
    /// An open alarm; with its <paramref name="card"/>, the alarm's own latest reason (an escalation), its shelf, latest note
    /// and contact with the driver, and who acted last, which the snapshot (keeping the raising transition only) does not know.
    /// </summary>
    public static AlarmDto Of(AlarmView a, bool plates, AlarmCard? card = null, VehicleInside? secondInside = null)
    {
        var own = card?.Reason;
        var (reason, code, args) = own is null ? (a.Reason, a.ReasonCode, a.ReasonArgs) : (own.Reason, own.ReasonCode, own.ReasonArgs);
        var dto = new AlarmDto(
            a.AlarmId, TunnelJson.Name(a.Kind), TunnelJson.Name(a.State), TunnelJson.Name(a.Priority), a.Bore.Site, a.Bore.Bore,
            PlateMask.Apply(a.Plate, plates), a.RaisedAt, a.EnteredAt, a.Lane, a.VehicleClass is { } k ? TunnelJson.Name(k) : null,
            a.Hazmat, reason is null ? null : PlateMask.InText(reason, plates), a.ShelvedUntil, card?.Latest.By, At: card?.Latest.At,
            PlateColor: a.PlateColor is { } c ? TunnelJson.Name(c) : null, SecondSuspect: SuspectDto.Of(a.SecondSuspect, plates, secondInside),
            ReasonCode: code, ReasonArgs: Masked(args, plates));
        return WithCard(dto, card, a.State == AlarmState.Shelved, plates);
    }

    /// <summary>One transition as it went by (RaisedAt is unknown here: the transition's time; the next snapshot fills it in).</summary>
    public static AlarmDto Of(AlarmTransition t, bool plates)
    {
        var verdict = AlarmCard.VerdictOf(t.Note);
        return new(
            t.AlarmId, TunnelJson.Name(t.Kind), TunnelJson.Name(t.State), TunnelJson.Name(t.Priority), t.Site, t.Bore,
            PlateMask.Apply(t.Plate, plates), t.At, t.EnteredAt, t.Lane, t.VehicleClass is { } k ? TunnelJson.Name(k) : null,
            // A shelve reason and a note are an operator's words, which may name a vehicle or a driver's phone.
            t.Hazmat ?? false, t.Reason is null ? null : PlateMask.InText(t.Reason, plates), t.ShelvedUntil, t.By,
            t.Note is null ? null : PlateMask.InText(t.Note, plates), t.At, t.PlateColor is { } c ? TunnelJson.Name(c) : null,
            SuspectDto.Of(t.Alternative, plates), t.ReasonCode, Masked(t.ReasonArgs, plates),
            NoteBy: t.Note is null ? null : t.By, NoteAt: t.Note is null ? null : t.At,
            ShelveReason: t.ReasonCode == AlarmCard.ShelvedCode && t.Reason is { } words ? PlateMask.InText(words, plates) : null,
            ShelvedBy: t.ReasonCode == AlarmCard.ShelvedCode ? t.By : null,
            Verdict: verdict, VerdictBy: verdict is null ? null : t.By, VerdictAt: verdict is null ? null : t.At);
    }

    /// <summary>
    /// A transition as it goes by to the walls, with its alarm's <paramref name="card"/> (as new as the transition at least):
    /// a note or an acknowledgement does not take the shelf, the earlier note or the alarm's own reason off the card.
    /// </summary>
    public static AlarmDto Of(AlarmTransition t, bool plates, AlarmCard? card)
    {
        card = card is not null && card.Latest.At >= t.At ? card : AlarmCard.Fold(card, t);
        var dto = Of(t, plates);
        var own = card.Reason;
        dto = dto with
        {
            By = t.By, At = t.At,
            Reason = own?.Reason is { } r ? PlateMask.InText(r, plates) : null, ReasonCode = own?.ReasonCode, ReasonArgs = Masked(own?.ReasonArgs, plates),
        };
        return WithCard(dto, card, t.State == AlarmState.Shelved, plates);
    }

    private static AlarmDto WithCard(AlarmDto dto, AlarmCard? card, bool shelved, bool plates)
    {
        if (card is null) return dto;
        var note = card.Note;
        // The latest call to the driver, unless it is the latest note itself (then shown once, as the note).
        var contact = card.Contact is { } called && !ReferenceEquals(called, note) ? called : null;
        var shelf = shelved ? card.Shelf : null;
        return dto with
        {
            Note = note?.Note is { } n ? PlateMask.InText(n, plates) : null, NoteBy = note?.By, NoteAt = note?.At,
            Contact = contact?.Note is { } k ? PlateMask.InText(k, plates) : null, ContactBy = contact?.By, ContactAt = contact?.At,
            ShelveReason = shelf?.Reason is { } words ? PlateMask.InText(words, plates) : null, ShelvedBy = shelf?.By,
            Verdict = AlarmCard.VerdictOf(card.Verdict?.Note), VerdictBy = card.Verdict?.By, VerdictAt = card.Verdict?.At,
        };
    }

    /// <summary>A reason's arguments: a shelve's is an operator's text, a plate or phone number in it as personal as any.</summary>
    private static IReadOnlyDictionary<string, string>? Masked(IReadOnlyDictionary<string, string>? args, bool plates) =>
        plates || args is null ? args : args.ToDictionary(kv => kv.Key, kv => PlateMask.InText(kv.Value, visible: false));
}
