using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Tunnel.Central.Service;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Live;

/// <summary>
/// Pushes the wall to every open console: "snapshot" about once a second, "alarm" on every alarm
/// transition at once. Read-only: actions go through the HTTP API (role checks, anti-forgery, audit).
/// </summary>
[Authorize(Policy = Policies.Watch)]
public sealed class LiveHub(LiveSessions sessions, LookAudit audit, CentralService service, LatestTransitions latest) : Hub
{
    public const string Path = "/hub/live";
    public const string PlainGroup = "plates";
    public const string MaskedGroup = "masked";

    public override async Task OnConnectedAsync()
    {
        var plates = Context.User is { } user && audit.WallWithPlates(user);
        await Groups.AddToGroupAsync(Context.ConnectionId, plates ? PlainGroup : MaskedGroup);
        // The picture as of now, to this wall alone: the feed sends one only when it changes, and one taken between the
        // page's first look and this connection would otherwise reach the wall only with the next (a stalled service: never).
        await Clients.Caller.SendAsync("snapshot", WallProjection.Of(service.Snapshot, plates, latest));
        sessions.Opened(Context);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        sessions.Closed(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}
