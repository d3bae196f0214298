using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Live;

/// <summary>
/// The open live connections and the session each came with. The cookie check (<see cref="Sessions"/>)
/// runs on HTTP requests, and a WebSocket makes one: without this, a retired user's wall, or one whose
/// password was reset, went on receiving plates until the socket happened to drop.
/// </summary>
public sealed class LiveSessions
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new();

    public void Opened(HubCallerContext connection) => _open[connection.ConnectionId] = connection;

    public void Closed(string connectionId) => _open.TryRemove(connectionId, out _);

    public int Count => _open.Count;

    /// <summary>
    /// Closes every connection whose session has ended since it connected (its user retired, its password changed, or
    /// the session logged out: <paramref name="endedSessions"/>); returns how many.
    /// </summary>
    internal int EndStale(Func<string, UserRecord?> findUser, IReadOnlySet<string> endedSessions)
    {
        var ended = 0;
        // One look per user, however many walls they have open.
        var current = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (id, connection) in _open)
        {
            var name = connection.User?.Identity?.Name;
            var stamp = connection.User?.FindFirstValue(Sessions.StampClaim);
            var key = name + "\n" + stamp;
            if (!current.TryGetValue(key, out var valid))
                current[key] = valid = name is not null && findUser(name) is { Disabled: false } user && UserDirectory.Stamp(user) == stamp;
            // Per connection: a logout ends its own session, and the same user's walls elsewhere keep theirs.
            if (valid && connection.User?.FindFirstValue(Sessions.SessionClaim) is { } session && !endedSessions.Contains(session)) continue;
            connection.Abort();
            _open.TryRemove(id, out _);
            ended++;
        }
        return ended;
    }
}
