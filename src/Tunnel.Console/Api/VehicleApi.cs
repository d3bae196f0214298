using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Api;

public sealed record PassageDto(Guid EventId, string Site, string Bore, string Portal, int Lane, string CameraId, DateTimeOffset CapturedAt,
    string? Plate, string? PlateColor, double? PlateConfidence, string VehicleClass, bool Hazmat, string? SnapshotUrl);

public sealed record TransitDto(Guid EntryEventId, string Site, string Bore, int Lane, DateTimeOffset EnteredAt, DateTimeOffset? ExitedAt,
    double? TransitSeconds, string Status);

/// <summary>What the operator sees of one alarm's vehicle: its entry (with the snapshot) and its history by plate.</summary>
public sealed record VehicleHistory(Guid AlarmId, string? Plate, PassageDto? Entry, IReadOnlyList<PassageDto> Passages,
    IReadOnlyList<TransitDto> Transits, IReadOnlyList<AlarmDto> Alarms);

internal static class VehicleApi
{
    public const int MaxRecent = 30;
    private const string SnapshotPrefix = "mqtt:snapshot/";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/snapshots/{eventId:guid}", (Guid eventId, ClaimsPrincipal user, SnapshotStore snapshots, TunnelStore store, TimeProvider clock,
                HttpContext context) =>
            {
                var jpeg = snapshots.Load(eventId);
                if (jpeg is null) return Results.NotFound(new ApiError("not-found", $"no snapshot of passage {eventId}"));
                // A snapshot shows the plate: every look is recorded, and no cache keeps a copy.
                store.Audit(user.Identity!.Name!, "view-snapshot", "passage:" + eventId, null, clock.GetUtcNow());
                context.Response.Headers.CacheControl = "no-store, private";
                context.Response.Headers.Pragma = "no-cache";
                return Results.File(jpeg, "image/jpeg");
            })
            .RequireAuthorization(Policies.SeePlates).WithTags("Vehicles")
            .WithSummary("The JPEG snapshot of one passage (roles that may see plates; never cached; every look audited)");

        api.MapGet("/bores/{site}/{bore}/passages", (string site, string bore, int? limit, ClaimsPrincipal user, TunnelStore store, LookAudit audit) =>
            {
                var plates = Roles.CanSeePlates(user);
                var rows = store.RecentPassages(new BoreKey(site, bore), Math.Clamp(limit ?? 10, 1, MaxRecent))
                    .Select(p => ToDto(p.Passage, plates)).ToList();
                // Plates of many vehicles at once: a look that shows them is recorded, as the reports' are (the wall
                // asks again at every passage, so once per user and bore every few minutes).
                if (plates && rows.Any(r => r.Plate is not null))
                    audit.Record(user.Identity!.Name!, "view-recent-passages", $"bore:{site}/{bore}", $"{rows.Count} passages");
                return rows;
            })
            .RequireAuthorization(Policies.Watch).WithTags("Vehicles")
            .WithSummary("The latest passages of one bore, newest first, with snapshot links for roles that may see plates (audited when plates are shown, once per user and bore every 10 minutes)");

        api.MapGet("/alarms/{id:guid}/vehicle", (Guid id, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                var raised = store.AlarmHistory(id);
                if (raised.Count == 0) return Results.NotFound(new ApiError("not-found", $"no alarm {id}"));
                var first = raised[0];
                var entry = first.EntryEventId is { } entryId ? store.GetPassage(entryId)?.Passage : null;
                var plate = first.Plate ?? entry?.Plate?.Text;
                // The subject names the alarm, not the plate: the audit log outlives the plate retention.
                store.Audit(user.Identity!.Name!, "view-vehicle-history", "alarm:" + id, null, clock.GetUtcNow());
                return Results.Ok(new VehicleHistory(id, plate, entry is null ? null : ToDto(entry, plates: true),
                    plate is null ? [] : store.PassagesByPlate(plate).Select(p => ToDto(p.Passage, plates: true)).ToList(),
                    plate is null ? [] : store.TransitsByPlate(plate).Select(ToDto).ToList(),
                    plate is null ? [] : store.AlarmsByPlate(plate).Select(a => AsRaised(a, store)).ToList()));
            })
            .RequireAuthorization(Policies.Investigate).WithTags("Vehicles")
            .WithSummary("One alarm's vehicle: its entry passage and snapshot, and its passages, transits and alarms by plate within the retention (audited)");
    }

    /// <summary>
    /// An alarm by its latest transition, dated when it was raised (its first transition), as its card on the wall is: the
    /// latest one's time is an acknowledgement's or a note's.
    /// </summary>
    private static AlarmDto AsRaised(AlarmTransition latest, TunnelStore store) =>
        WallProjection.Of(latest, plates: true) with { RaisedAt = store.AlarmHistory(latest.AlarmId) is [var first, ..] ? first.At : latest.At };

    public static PassageDto ToDto(Passage p, bool plates) => new(
        p.EventId, p.Site, p.Bore, TunnelJson.Name(p.Portal), p.Lane, p.CameraId, p.CapturedAt,
        p.Plate is null ? null : PlateMask.Apply(p.Plate.Text, plates), p.Plate is null ? null : TunnelJson.Name(p.Plate.Color),
        p.Plate?.Confidence, TunnelJson.Name(p.Vehicle.Class), p.Vehicle.Hazmat,
        plates && SnapshotEventId(p) is { } id ? $"/api/v1/snapshots/{id:D}" : null);

    /// <summary>The passage whose JPEG came over MQTT under its own event id; other references are not ours to serve.</summary>
    private static Guid? SnapshotEventId(Passage p) =>
        p.Snapshot is { } s && s.StartsWith(SnapshotPrefix, StringComparison.Ordinal) && Guid.TryParse(s.AsSpan(SnapshotPrefix.Length), out var id)
            ? id : null;

    private static TransitDto ToDto(TransitRecord t) =>
        new(t.EntryEventId, t.Site, t.Bore, t.Lane, t.EnteredAt, t.ExitedAt, t.TransitSeconds, t.Status);
}
