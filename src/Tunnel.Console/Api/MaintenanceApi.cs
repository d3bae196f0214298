using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

public sealed record AgentHealth(string AgentId, string? Site, string? Bore, string? Portal, int? Lane, bool Online, bool Stale,
    DateTimeOffset? LastHeartbeat, double? HeartbeatAgeSeconds, double? Fps, long? QueueDepth, double? ClockOffsetMs, string? LastError);

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
        group.MapGet("/agents", (CentralService service, TimeProvider clock) =>
            {
                var now = clock.GetUtcNow();
                return service.Snapshot.Agents.OrderBy(a => a.AgentId, StringComparer.Ordinal).Select(a =>
                {
                    var age = a.At is { } at ? (now - at).TotalSeconds : (double?)null;
                    return new AgentHealth(a.AgentId, a.Site, a.Bore, a.Portal is { } p ? TunnelJson.Name(p) : null, a.Lane, a.Online,
                        age is null || age > StaleAfter.TotalSeconds, a.At, age is null ? null : Math.Round(age.Value, 1),
                        a.Fps, a.QueueDepth, a.ClockOffsetMs, a.LastError);
                }).ToList();
            })
            .WithSummary("Edge agent health: online, last heartbeat, frames per second, outbox depth, clock offset (maintenance)");

        group.MapGet("/dead-letters", (TunnelStore store, System.Security.Claims.ClaimsPrincipal user, int? limit) =>
            {
                // A rejected passage still carries a plate: personal data, masked for roles without the grant.
                var plates = Roles.CanSeePlates(user);
                return store.ReadDeadLetters(Math.Clamp(limit ?? 100, 1, 1000)).Select(d => new DeadLetterView(
                    d.Id, d.ReceivedAt, d.Topic, d.AgentId, d.ReasonCode, PlateMask.InText(d.Reason, plates), d.OriginalLength ?? d.Payload.Length,
                    d.Truncated, PlateMask.InText(Preview(d.Payload), plates))).ToList();
            })
            .WithSummary("Rejected messages, newest first, with the reason and the start of the payload as text (maintenance)");
    }

    private static string Preview(byte[] payload)
    {
        // Invalid UTF-8 becomes U+FFFD; the browser shows this as text, never as markup.
        var text = Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, PreviewChars * 4));
        return text.Length > PreviewChars ? text[..PreviewChars] + "…" : text;
    }
}
