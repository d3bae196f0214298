using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Tunnel.Storage;
using Tunnel.WebConsole.Live;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Tests;

public sealed class LiveSessionsTests
{
    private static UserRecord User(string name, string hash, bool disabled = false) =>
        new() { UserName = name, PasswordHash = hash, Roles = [Roles.Operator], Disabled = disabled };

    [Fact]
    public void Only_connections_whose_session_ended_are_closed_and_forgotten()
    {
        var users = new Dictionary<string, UserRecord>
        {
            ["still"] = User("still", "hash-1"),
            ["reset"] = User("reset", "hash-after-reset"),
            ["retired"] = User("retired", "hash-3", disabled: true),
        };
        var sessions = new LiveSessions();
        var still = new Connection("a", Sessions.PrincipalOf(users["still"]));
        var stillAgain = new Connection("b", Sessions.PrincipalOf(users["still"]));
        var reset = new Connection("c", Sessions.PrincipalOf(User("reset", "hash-before-reset")));
        var retired = new Connection("d", Sessions.PrincipalOf(users["retired"] with { Disabled = false }));
        var deleted = new Connection("e", Sessions.PrincipalOf(User("gone", "hash-5")));
        foreach (var c in new[] { still, stillAgain, reset, retired, deleted }) sessions.Opened(c);

        Assert.Equal(3, sessions.EndStale(name => users.GetValueOrDefault(name), NoneEnded));

        Assert.False(still.Aborted);
        Assert.False(stillAgain.Aborted);
        Assert.True(reset.Aborted);
        Assert.True(retired.Aborted);
        Assert.True(deleted.Aborted);
        Assert.Equal(2, sessions.Count);
        // Closed ones are not closed again.
        Assert.Equal(0, sessions.EndStale(name => users.GetValueOrDefault(name), NoneEnded));
    }

    private static readonly IReadOnlySet<string> NoneEnded = new HashSet<string>();

    [Fact]
    public void A_logout_closes_the_connections_of_its_own_session_and_not_those_of_the_same_users_other_sessions()
    {
        var user = User("two-screens", "hash-1");
        var sessions = new LiveSessions();
        var desk = Sessions.PrincipalOf(user);
        var deskWall = new Connection("desk", desk);
        var deskSecondTab = new Connection("desk-tab", desk);
        var controlRoomWall = new Connection("control-room", Sessions.PrincipalOf(user));
        var withoutSession = new Connection("old-cookie", new ClaimsPrincipal(new ClaimsIdentity(
            Sessions.PrincipalOf(user).Claims.Where(c => c.Type != Sessions.SessionClaim), "Cookies")));
        foreach (var c in new[] { deskWall, deskSecondTab, controlRoomWall, withoutSession }) sessions.Opened(c);

        var ended = new HashSet<string> { desk.FindFirstValue(Sessions.SessionClaim)! };
        Assert.Equal(3, sessions.EndStale(_ => user, ended));

        Assert.True(deskWall.Aborted);
        Assert.True(deskSecondTab.Aborted);
        Assert.True(withoutSession.Aborted);
        Assert.False(controlRoomWall.Aborted);
    }

    private sealed class Connection(string id, ClaimsPrincipal user) : HubCallerContext
    {
        public bool Aborted { get; private set; }
        public override string ConnectionId => id;
        public override string? UserIdentifier => user.Identity?.Name;
        public override ClaimsPrincipal? User => user;
        public override IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();
        public override IFeatureCollection Features { get; } = new FeatureCollection();
        public override CancellationToken ConnectionAborted => CancellationToken.None;
        public override void Abort() => Aborted = true;
    }
}
