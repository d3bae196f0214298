using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Central.Alarms;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Storage;
using Tunnel.WebConsole.Live;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Speech;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Api;

public sealed record AcknowledgeRequest(string? Note);
public sealed record ShelveRequest(string Reason, int Minutes);
/// <param name="Note">Why the shelf is lifted early; optional.</param>
public sealed record UnshelveRequest(string? Note);
public sealed record NoteRequest(string Note);
public sealed record SeenLeavingRequest(string? Note);
/// <param name="Verdict"><c>confirmed</c>: a vehicle really was in trouble; <c>false</c>: nothing was.</param>
public sealed record VerdictRequest(string Verdict, string? Note);

internal static class WallApi
{
    public const int MaxNoteLength = 500;
    public const int MaxShelfMinutes = 8 * 60;
    public const int MaxClosedHours = 24;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/snapshot", (ClaimsPrincipal user, CentralService service, LookAudit audit, LatestTransitions latest) =>
                WallProjection.Of(service.Snapshot, audit.WallWithPlates(user), latest))
            .RequireAuthorization(Policies.Watch).WithTags("Wall")
            .WithSummary("Every bore: occupancy, vehicles inside, open alarms (plates masked without the grant; a look with plates audited once per user every 10 minutes)");

        // Operators rely on the control room's beacon and siren as much as on this page: they hear of one that cannot
        // sound. Ids only; why, and where it is, is for maintenance.
        api.MapGet("/alarm-towers/not-working", ([Microsoft.AspNetCore.Mvc.FromServices] Tunnel.Central.Towers.AlarmTowers? towers) =>
                // A tower not tried yet (the first seconds after a start) is not news.
                (towers?.Statuses ?? []).Where(t => !t.Working && t.Rounds + t.Failures > 0).Select(t => t.Id).ToList())
            .RequireAuthorization(Policies.Watch).WithTags("Wall")
            .WithSummary("Ids of the alarm towers (beacons, sirens) that cannot show every alarm now: out of reach, an output refused, or a site that is not there");

        var alarms = api.MapGroup("/alarms").WithTags("Alarms");
        alarms.MapGet("/", (ClaimsPrincipal user, CentralService service, LookAudit audit, LatestTransitions latest) =>
            {
                var plates = audit.WallWithPlates(user);
                return service.Snapshot.OpenAlarms.Select(a => WallProjection.Of(a, plates, latest.Find(a.AlarmId))).ToList();
            })
            .RequireAuthorization(Policies.Watch)
            .WithSummary("Open alarms, most urgent first (a look with plates audited as the snapshot's)");

        alarms.MapGet("/closed", (int? hours, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                // The shift's closed alarms, so an operator can still judge one the vehicle's exit took off the wall.
                var span = Math.Clamp(hours ?? 12, 1, MaxClosedHours);
                var now = clock.GetUtcNow();
                var closed = store.OverdueIncidents(now.AddHours(-span), now.AddTicks(1))
                    .Where(i => i.State == TunnelJson.Name(AlarmState.Closed)).OrderByDescending(i => i.RaisedAt);
                return ManagerReports.IncidentRows(closed, user, store, "view-closed-alarms", "alarms:closed", $"{span} h", now);
            })
            .RequireAuthorization(Policies.Watch)
            .WithSummary("Overdue alarms raised in the last hours (12 by default, at most 24) and closed since, newest first, with the operators' last verdict; plates masked without the grant (audited when shown)");

        alarms.MapGet("/{id:guid}/history", (Guid id, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                var history = store.AlarmHistory(id);
                if (history.Count == 0) return Results.NotFound(new ApiError("not-found", $"no alarm {id}"));
                // A look at one vehicle's alarm is a look at personal data: audited.
                store.Audit(user.Identity!.Name!, "view-alarm-history", "alarm:" + id, null, clock.GetUtcNow());
                var plates = Roles.CanSeePlates(user);
                return Results.Ok(history.Select(t => WallProjection.Of(t, plates)).ToList());
            })
            .RequireAuthorization(Policies.Watch)
            .WithSummary("Every transition of one alarm, oldest first (audited)");

        alarms.MapPost("/{id:guid}/acknowledge", (Guid id, AcknowledgeRequest request, ClaimsPrincipal user, CentralService service, TunnelStore store, TimeProvider clock) =>
                Act(user, store, clock, "alarm-acknowledge", id, request.Note, request.Note is { Length: > MaxNoteLength } ? "note too long" : null,
                    by => service.AcknowledgeAsync(id, by, string.IsNullOrWhiteSpace(request.Note) ? null : request.Note)))
            .RequireAuthorization(Policies.Act)
            .WithSummary("Acknowledge an alarm (operator); silencing a browser does not do this");

        alarms.MapPost("/{id:guid}/shelve", (Guid id, ShelveRequest request, ClaimsPrincipal user, CentralService service, TunnelStore store, TimeProvider clock) =>
                Act(user, store, clock, "alarm-shelve", id, $"{request.Minutes} min: {request.Reason}",
                    string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MaxNoteLength ? "a reason of 1 to 500 characters is required"
                    : request.Minutes is < 1 or > MaxShelfMinutes ? $"minutes must be 1 to {MaxShelfMinutes}" : null,
                    by => service.ShelveAsync(id, by, request.Reason, clock.GetUtcNow().AddMinutes(request.Minutes))))
            .RequireAuthorization(Policies.Act)
            .WithSummary("Shelve an alarm with a reason for 1 to 480 minutes (operator)");

        alarms.MapPost("/{id:guid}/unshelve", async (Guid id, UnshelveRequest? request, ClaimsPrincipal user, CentralService service, TunnelStore store,
                TimeProvider clock) =>
            {
                var note = string.IsNullOrWhiteSpace(request?.Note) ? null : request.Note.Trim();
                try
                {
                    return await Act(user, store, clock, "alarm-unshelve", id, note, note is { Length: > MaxNoteLength } ? "note too long" : null,
                        by => service.UnshelveAsync(id, by, note), rethrowNotOpen: true);
                }
                catch (NoOpenAlarmException e)
                {
                    // Closed since (its history stays): nothing to unshelve, as for one that is not shelved. Never raised: not found.
                    return store.AlarmHistory(id).Count == 0
                        ? Results.NotFound(new ApiError("not-found", $"no alarm {id}"))
                        : Results.Conflict(new ApiError("alarm-state", $"{e.Message}: it is closed, nothing to unshelve"));
                }
            })
            .RequireAuthorization(Policies.Act)
            .WithSummary("Lift an alarm's shelf before its expiry, with an optional note (operator): it comes back as it would be unshelved, " +
                         "active or cleared, acknowledged if it was, critical if its escalation fell due meanwhile; 409 when it is not shelved");

        alarms.MapPost("/{id:guid}/seen-leaving", (Guid id, SeenLeavingRequest? request, ClaimsPrincipal user, CentralService service, TunnelStore store,
                TimeProvider clock) =>
                Act(user, store, clock, "alarm-seen-leaving", id, request?.Note, request?.Note is { Length: > MaxNoteLength } ? "note too long" : null,
                    by => service.SeenLeavingAsync(id, by, string.IsNullOrWhiteSpace(request?.Note) ? null : request.Note)))
            .RequireAuthorization(Policies.Act)
            .WithSummary("The vehicle of an active overdue alarm was seen leaving, or the bore was found clear of it, where no camera saw it go " +
                         "(operator; audited): the alarm is acknowledged with the note and closes, and the vehicles it names leave the list " +
                         "inside, after a restart too; 409 when it is not an active overdue alarm (a shelved one is lifted first)");

        alarms.MapPost("/{id:guid}/notes", (Guid id, NoteRequest request, ClaimsPrincipal user, CentralService service, TunnelStore store, TimeProvider clock) =>
                Act(user, store, clock, "alarm-note", id, request.Note,
                    string.IsNullOrWhiteSpace(request.Note) || request.Note.Length > MaxNoteLength ? "a note of 1 to 500 characters is required" : null,
                    by => service.AddNoteAsync(id, by, request.Note)))
            .RequireAuthorization(Policies.Act)
            .WithSummary("Add a note to an alarm (operator)");

        alarms.MapPost("/{id:guid}/verdict", async (Guid id, VerdictRequest request, ClaimsPrincipal user, CentralService service, TunnelStore store,
                TimeProvider clock) =>
            {
                if (request.Verdict is not (TunnelStore.Confirmed or TunnelStore.FalseAlarm))
                    return Results.BadRequest(new ApiError("invalid", $"verdict must be {TunnelStore.Confirmed} or {TunnelStore.FalseAlarm}"));
                if (request.Note is { Length: > MaxNoteLength }) return Results.BadRequest(new ApiError("invalid", $"a note has at most {MaxNoteLength} characters"));
                if (store.AlarmHistory(id).Count == 0) return Results.NotFound(new ApiError("not-found", $"no alarm {id}"));
                var by = user.Identity!.Name!;
                var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
                try
                {
                    // On the alarm itself while it is open, so everyone handling it sees the verdict.
                    await service.AddNoteAsync(id, by, VerdictNote(request.Verdict, note));
                }
                catch (AlarmStateException)
                {
                    // Closed already: the verdict counts all the same.
                }
                var now = clock.GetUtcNow();
                store.AddAlarmVerdict(id, by, request.Verdict, note, now);
                store.Audit(by, "alarm-verdict", "alarm:" + id, request.Verdict, now);
                return Results.NoContent();
            })
            .RequireAuthorization(Policies.Act)
            .WithSummary("Judge an alarm, open or closed: confirmed (a vehicle really was in trouble) or false; the last verdict counts in the incidents report (operator; audited)");

        alarms.MapGet("/{id:guid}/speech", async (Guid id, ClaimsPrincipal user, CentralService service, LookAudit audit, SpeechService speech,
                HttpContext context, CancellationToken ct) =>
            {
                var alarm = service.Snapshot.OpenAlarms.FirstOrDefault(a => a.AlarmId == id);
                if (alarm is null) return Results.NotFound(new ApiError("not-found", $"no open alarm {id}"));
                if (!speech.Available)
                    return Results.Json(new ApiError("speech-unavailable", "espeak-ng is not installed on the server"), statusCode: StatusCodes.Status503ServiceUnavailable);
                // Heard as the wall shows it: with plates (that look audited as the wall's), or without any.
                var text = SpeechService.Announcement(alarm, audit.WallWithPlates(user), service.Sites);
                if (!SpeechService.IsSpeakable(text))
                    return Results.Json(new ApiError("unspeakable", "this alarm's bore or plate cannot be spoken"), statusCode: StatusCodes.Status422UnprocessableEntity);
                var wav = await speech.GetWavAsync(text, ct);
                if (wav is null) return Results.Json(new ApiError("speech-failed", "espeak-ng failed"), statusCode: StatusCodes.Status503ServiceUnavailable);
                // It speaks a plate: no cache keeps a copy (the server keeps its own until the plate retention).
                context.Response.Headers.CacheControl = "no-store, private";
                return Results.File(wav, "audio/wav");
            })
            .RequireAuthorization(Policies.Watch)
            .WithSummary("An open alarm announced in Mandarin (espeak-ng cmn), WAV: its bore, kind and, for roles that may see plates, " +
                         "the overdue vehicle's plate and the second suspect's; made once per text and kept on the server, not cached by browsers");
    }

    /// <summary>The alarm note; the console recognises the prefix and shows it in the reader's language.</summary>
    public static string VerdictNote(string verdict, string? note) => note is null ? $"verdict {verdict}" : $"verdict {verdict}: {note}";

    /// <summary>Validates, runs the action on the service loop as the logged-in user, audits it.</summary>
    private static async Task<IResult> Act(ClaimsPrincipal user, TunnelStore store, TimeProvider clock, string action, Guid id, string? detail,
        string? invalid, Func<string, Task> run, bool rethrowNotOpen = false)
    {
        if (invalid is not null) return Results.BadRequest(new ApiError("invalid", invalid));
        var by = user.Identity!.Name!;
        try
        {
            await run(by);
        }
        catch (AlarmStateException e) when (!(rethrowNotOpen && e is NoOpenAlarmException))
        {
            return Results.Conflict(new ApiError("alarm-state", e.Message));
        }
        // The audit log is kept beyond the plates' retention: a plate or phone number in an operator's text is masked there.
        store.Audit(by, action, "alarm:" + id, detail is null ? null : PlateMask.InText(detail, visible: false), clock.GetUtcNow());
        return Results.NoContent();
    }
}
