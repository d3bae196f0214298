using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Tunnel.Central.Service;
using Tunnel.Central.Towers;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

/// <summary>
/// One edge agent at a glance. The last-hour figures come from the stored passages: <see cref="UnreadShare"/>
/// of its passages had no plate read, <see cref="UnmatchedExitShare"/> of its exits matched no entry. <see cref="ActiveSince"/>: when
/// the console put the active camera of its lane into service (null: before the console knew of it, or no active camera).
/// <see cref="LatestPassageHasSnapshot"/> says whether its latest passage came with a snapshot, for every reader; only a reader
/// granted plates gets <see cref="LatestSnapshotUrl"/>, so a reader without the grant can tell "none taken" from "not for you".
/// </summary>
public sealed record AgentHealth(string AgentId, string? Site, string? Bore, string? Portal, int? Lane, bool Online, bool Stale,
    DateTimeOffset? LastHeartbeat, double? HeartbeatAgeSeconds, double? Fps, long? QueueDepth, double? ClockOffsetMs, string? LastError,
    long PassagesLastHour = 0, double? UnreadShare = null, double? UnmatchedExitShare = null,
    DateTimeOffset? LatestPassageAt = null, string? LatestSnapshotUrl = null, bool Reported = true, long RejectedLastHour = 0,
    DateTimeOffset? ActiveSince = null, bool LatestPassageHasSnapshot = false);

/// <summary>An alarm tower at a glance; <see cref="Testing"/> is <c>lamps</c> or <c>sirens</c> while a test runs.</summary>
public sealed record AlarmTowerView(string Id, string Endpoint, bool Online, bool Working, int OutputsLit, string? Testing,
    DateTimeOffset? LastWriteAt, string? LastError, long Rounds, long Failures);

public sealed record DeadLetterView(long Id, DateTimeOffset ReceivedAt, string Topic, string? AgentId, string ReasonCode, string Reason,
    int OriginalLength, bool Truncated, string PayloadPreview);

internal static class MaintenanceApi
{
    /// <summary>Agents report at least every 30 s; twice that without a word and the status is stale.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(90);
    private const int PreviewChars = 600;

    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("").WithTags("Maintenance").RequireAuthorization(Policies.Maintain);
        group.MapGet("/agents", (CentralService service, TunnelStore store, System.Security.Claims.ClaimsPrincipal user, TimeProvider clock) =>
                AgentsAt(service, store, clock.GetUtcNow(), Roles.CanSeePlates(user)))
            .WithSummary("Edge agent health: online, last heartbeat, frames per second, outbox depth, clock offset, and over the last hour " +
                         "the share of unread plates and of unmatched exits and the messages refused, whether each camera's latest passage has a snapshot " +
                         "(`latestPassageHasSnapshot`, for every reader) and its link (`latestSnapshotUrl`, only for roles that may see plates), and " +
                         "since when the console has had the camera in service (maintenance)");

        group.MapGet("/dead-letters", (TunnelStore store, System.Security.Claims.ClaimsPrincipal user, LookAudit audit, int? limit) =>
            {
                // A rejected passage still carries a plate: personal data, masked for roles without the grant.
                var plates = Roles.CanSeePlates(user);
                var letters = store.ReadDeadLetters(Math.Clamp(limit ?? 100, 1, 1000)).Select(d => new DeadLetterView(
                    d.Id, d.ReceivedAt, d.Topic, d.AgentId, d.ReasonCode, PlateMask.InText(d.Reason, plates), d.OriginalLength ?? d.Payload.Length,
                    d.Truncated, Preview(d.Payload, plates))).ToList();
                // Once per user every ten minutes: the maintenance page asks every five seconds.
                if (plates && letters.Count > 0) audit.Record(user.Identity!.Name!, "view-dead-letters", "dead-letters", $"{letters.Count} messages");
                return letters;
            })
            .WithSummary("Rejected messages, newest first, with the reason and the start of the payload as text; plates masked unless the reader is granted them (audited when shown, once per user every ten minutes) (maintenance)");

        // Hosts without alarm towers (the console's own tests) register none.
        group.MapGet("/alarm-towers", ([FromServices] AlarmTowers? towers) => (towers?.Statuses ?? []).Select(t => new AlarmTowerView(
                t.Id, t.Endpoint, t.Online, t.Working, t.OutputsLit, t.Testing is { } kind ? TunnelJson.Name(kind) : null, t.LastWriteAt, t.LastError,
                t.Rounds, t.Failures)).ToList())
            .WithSummary("Alarm towers (beacons, sirens) over Modbus TCP: reachable or not and why, outputs lit, last write (maintenance)");

        group.MapPost("/alarm-towers/{id}/test", (string id, string? kind, [FromServices] AlarmTowers? towers, TunnelStore store,
                System.Security.Claims.ClaimsPrincipal user, TimeProvider clock) =>
            {
                if (!Enum.TryParse<TowerTest>(kind ?? nameof(TowerTest.Lamps), ignoreCase: true, out var what) || !Enum.IsDefined(what))
                    return Results.BadRequest(new ApiError("bad-kind", $"kind '{kind}' is neither lamps nor sirens"));
                if (towers?.Find(id) is not { } tower) return Results.NotFound(new ApiError("not-found", $"no alarm tower '{id}'"));
                // Nothing would light, and the audit would say it had.
                if (!tower.Status.Online) return Results.Conflict(new ApiError("offline", $"alarm tower '{id}' is out of reach: {tower.Status.LastError}"));
                tower.Test(what, TowerTestDuration);
                store.Audit(user.Identity!.Name!, "alarm-tower-tested", "alarm-tower:" + id,
                    $"{TunnelJson.Name(what)} on for {TowerTestDuration.TotalSeconds:0} s", clock.GetUtcNow());
                return Results.Ok(new { id, kind = TunnelJson.Name(what), seconds = TowerTestDuration.TotalSeconds });
            })
            .WithSummary("Tower test: its lamps (`kind=lamps`, the default) or its sirens (`kind=sirens`) on for 10 s, the other outputs " +
                         "as the alarms call for them, then all back to the alarms; 409 while the tower is out of reach (maintenance; audited)");
    }

    private static readonly TimeSpan TowerTestDuration = TimeSpan.FromSeconds(10);

    /// <summary>Agents that reported a status, and those only seen through their passages (no status yet: not reported).</summary>
    internal static List<AgentHealth> AgentsAt(CentralService service, TunnelStore store, DateTimeOffset now, bool plates)
    {
        var quality = store.AgentQualities(now - TimeSpan.FromHours(1), now.AddMinutes(5)).ToDictionary(q => q.AgentId, StringComparer.Ordinal);
        var latest = store.LatestPassagePerAgent(now - TimeSpan.FromDays(1)).ToDictionary(p => p.Passage.AgentId, p => p.Passage, StringComparer.Ordinal);
        var statuses = service.Snapshot.Agents.ToDictionary(a => a.AgentId, StringComparer.Ordinal);
        // All of a camera's passages refused (its clock hours off, say) leaves the portal blind while the agent looks fine.
        var rejected = store.DeadLettersPerAgent(now - TimeSpan.FromHours(1));
        // The agent of every active camera is expected: one never heard from (a camera added, a box never
        // powered up) is listed too, not missing from the list while everything else looks green.
        var expected = service.Sites.ActiveCameraAgents().ToDictionary(x => x.AgentId, StringComparer.Ordinal);
        var activations = CameraActivations.Read(store);
        DateTimeOffset? ActiveSince(string agentId) => expected.TryGetValue(agentId, out var x)
            && activations.TryGetValue(CameraChanges.Key(x.Site.Id, x.Bore.Id, x.Camera.Id), out var since) ? since : null;
        return statuses.Keys.Union(latest.Keys).Union(quality.Keys).Union(expected.Keys).Union(rejected.Keys).Order(StringComparer.Ordinal).Select(id =>
        {
            var refused = rejected.GetValueOrDefault(id);
            quality.TryGetValue(id, out var q);
            latest.TryGetValue(id, out var last);
            var lastDto = last is null ? null : VehicleApi.ToDto(last, plates);
            // Judged as the grant would show it: a snapshot this reader may not open still counts as one, only its link stays out.
            var hasSnapshot = last is not null && VehicleApi.ToDto(last, plates: true).SnapshotUrl is not null;
            if (!statuses.TryGetValue(id, out var a))
            {
                var camera = expected.TryGetValue(id, out var x) ? x : default;
                return new AgentHealth(id, last?.Site ?? camera.Site?.Id, last?.Bore ?? camera.Bore?.Id,
                    lastDto?.Portal ?? (camera.Camera is { } c ? TunnelJson.Name(c.Portal) : null), last?.Lane ?? camera.Camera?.Lane,
                    Online: false, Stale: true, null, null, null, null, null, null,
                    q?.Passages ?? 0, Round(q?.UnreadShare), Round(q?.UnmatchedExitShare), last?.CapturedAt, lastDto?.SnapshotUrl, Reported: false,
                    RejectedLastHour: refused, ActiveSince: ActiveSince(id), LatestPassageHasSnapshot: hasSnapshot);
            }
            var age = a.At is { } at ? (now - at).TotalSeconds : (double?)null;
            return new AgentHealth(a.AgentId, a.Site, a.Bore, a.Portal is { } p ? TunnelJson.Name(p) : null, a.Lane, a.Online,
                age is null || age > StaleAfter.TotalSeconds, a.At, age is null ? null : Math.Round(age.Value, 1),
                a.Fps, a.QueueDepth, a.ClockOffsetMs, a.LastError,
                q?.Passages ?? 0, Round(q?.UnreadShare), Round(q?.UnmatchedExitShare), last?.CapturedAt, lastDto?.SnapshotUrl, RejectedLastHour: refused,
                ActiveSince: ActiveSince(id), LatestPassageHasSnapshot: hasSnapshot);
        }).ToList();
    }

    private static double? Round(double? share) => share is { } s ? Math.Round(s, 4) : null;

    private static string Preview(byte[] payload, bool plates)
    {
        // Invalid UTF-8 becomes U+FFFD; the browser shows this as text, never as markup.
        var text = Encoding.UTF8.GetString(payload);
        if (PlateMask.InPayload(text, plates) is not { } shown) return "(not JSON: shown only to roles that may see plates)";
        return shown.Length > PreviewChars ? shown[..PreviewChars] + "…" : shown;
    }
}
