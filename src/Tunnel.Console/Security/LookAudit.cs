using System.Collections.Concurrent;
using System.Security.Claims;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Security;

/// <summary>
/// Audits looks at plates that pages repeat by themselves (a wall refreshes a bore's recent passages with
/// every change): one entry per user and subject in <see cref="Every"/>, not one per refresh, which would
/// bury the audit log under tens of thousands of rows a day and hold up the store.
/// </summary>
public sealed class LookAudit(TunnelStore store, TimeProvider clock)
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<(string User, string Subject), DateTimeOffset> _last = new();

    /// <summary>
    /// Whether the reader sees the plates of every vehicle inside on the wall (the snapshot, the open alarms, the live
    /// feed): a look at many vehicles' personal data, recorded as one "view-wall" per user every <see cref="Every"/>.
    /// </summary>
    public bool WallWithPlates(ClaimsPrincipal user)
    {
        var plates = Roles.CanSeePlates(user);
        if (plates) Record(user.Identity!.Name!, "view-wall", "wall", null);
        return plates;
    }

    /// <summary>Records the look unless the same user's look at the same subject was recorded within <see cref="Every"/>.</summary>
    public void Record(string user, string action, string subject, string? detail)
    {
        var now = clock.GetUtcNow();
        var key = (user, subject);
        if (_last.TryGetValue(key, out var last) && now - last < Every) return;
        _last[key] = now;
        store.Audit(user, action, subject, detail, now);
    }
}
