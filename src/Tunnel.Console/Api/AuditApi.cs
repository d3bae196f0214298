using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Core.Plates;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

public sealed record AuditView(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<AuditEntry> Entries, bool Truncated);

/// <summary>
/// The audit log for admins: who signed in and from where, who looked at plates, snapshots and contacts, who acted on
/// alarms, changed users, contacts and sites. Written all along; this is where it is read, and reading it is audited too.
/// </summary>
internal static class AuditApi
{
    private const int DefaultLimit = 500, MaxLimit = 5_000, MaxDays = 366;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/audit", (ClaimsPrincipal user, TunnelStore store, TimeProvider clock, string? actor, string? subject, int? days, int? limit) =>
            {
                if (days is < 1 or > MaxDays) return Results.BadRequest(new ApiError("bad-period", $"days is 1 to {MaxDays}"));
                if (limit is < 1 or > MaxLimit) return Results.BadRequest(new ApiError("bad-limit", $"limit is 1 to {MaxLimit}"));
                var to = clock.GetUtcNow();
                var from = to.AddDays(-(days ?? 7));
                var take = limit ?? DefaultLimit;
                actor = string.IsNullOrWhiteSpace(actor) ? null : actor.Trim();
                subject = string.IsNullOrWhiteSpace(subject) ? null : subject.Trim();
                // One more than asked tells whether there are more.
                var entries = store.ReadAudit(from, to, actor, subject, take + 1);
                // Plates are masked when written; an admin without the plate grant gets them masked here all the same.
                var plates = Roles.CanSeePlates(user);
                var shown = entries.Take(take).Select(e => e with
                {
                    Subject = PlateMask.InText(e.Subject, plates), Detail = e.Detail is null ? null : PlateMask.InText(e.Detail, plates),
                }).ToList();
                // Every read, not one per ten minutes as a page's repeated looks: each asks for someone else's trail, and none repeats by itself.
                store.Audit(user.Identity!.Name!, "view-audit", "audit", $"{days ?? 7} days" + (actor is null ? "" : $", actor {actor}") + (subject is null ? "" : $", subject {PlateMask.InText(subject, visible: false)}"), to);
                return Results.Ok(new AuditView(from, to, shown, entries.Count > take));
            })
            .RequireAuthorization(Policies.Administer).WithTags("Users")
            .WithSummary("The audit log, newest first: the last `days` (7; up to 366), at most `limit` entries (500; up to 5,000), " +
                "optionally of one `actor` or one `subject` (user:NAME, alarm:ID, passage:ID, contacts, wall ...); admin, audited")
            .Produces<AuditView>().Produces<ApiError>(StatusCodes.Status400BadRequest);
    }
}
