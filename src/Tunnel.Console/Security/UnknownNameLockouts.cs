namespace Tunnel.WebConsole.Security;

/// <summary>
/// Wrong logins under names that are no user (or a retired one), counted and locked out as a user's are, in
/// memory: otherwise only real names would ever answer "locked" (423), and five guesses would tell whether a
/// name exists. A key is a name, or a name from one address (<see cref="UserDirectory"/> keeps one instance of each).
/// </summary>
internal sealed class UnknownNameLockouts(int capacity = 10_000)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (int Failures, DateTimeOffset LockedUntil)> _names = new(StringComparer.Ordinal);

    public DateTimeOffset? LockedUntil(string name, DateTimeOffset now)
    {
        lock (_gate) return _names.TryGetValue(name, out var n) && n.LockedUntil > now ? n.LockedUntil : null;
    }

    /// <summary>Counts a wrong login; the time the name is locked until when this one locks it, as the store does for users.</summary>
    public DateTimeOffset? RecordFailure(string name, int maxFailures, DateTimeOffset lockUntil, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_names.Count >= capacity && !_names.ContainsKey(name)) Forget(now);
            var failures = (_names.TryGetValue(name, out var n) ? n.Failures : 0) + 1;
            if (failures >= maxFailures)
            {
                _names[name] = (0, lockUntil);
                return lockUntil;
            }
            _names[name] = (failures, n.LockedUntil);
            return null;
        }
    }

    /// <summary>Makes room: names no longer locked go first, and if a flood of names leaves none of those, all.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (name, n) in _names.ToList())
            if (n.LockedUntil <= now) _names.Remove(name);
        if (_names.Count >= capacity) _names.Clear();
    }
}
