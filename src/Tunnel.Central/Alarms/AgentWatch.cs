using Tunnel.Core.Contracts;

namespace Tunnel.Central.Alarms;

/// <summary>
/// Each agent's latest status and its agent-offline alarm: raised once an agent has stayed offline (or silent) for
/// <see cref="OfflineDelay"/>, cleared when it is back. The alarms themselves live in the engine's <see cref="AlarmBook"/>,
/// passed in on each call because a rebuild replaces the engine.
/// </summary>
public sealed class AgentWatch
{
    private const int MaxErrorChars = 500;

    private readonly Dictionary<string, AgentStatus> _latest = [];
    private readonly Dictionary<string, (string Site, DateTimeOffset At)> _lastHeard = [];
    private readonly Dictionary<string, Guid> _offlineAlarms = [];
    // Agents that went offline and have not been back for OfflineDelay since (BackAt: online again, since then).
    private readonly Dictionary<string, (string Site, string Bore, AgentStatus Status, DateTimeOffset Since, DateTimeOffset? BackAt)> _goingOffline = [];

    /// <summary>How long an agent must stay offline before its alarm is raised (zero: at once).</summary>
    public TimeSpan OfflineDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an agent that last said it is online may send no status (agents send one every 10 s) before it counts as
    /// going offline: a hung agent whose MQTT library still answers the broker's keep-alive leaves no last will.
    /// </summary>
    public TimeSpan SilentAfter { get; set; } = TimeSpan.FromSeconds(60);

    public IReadOnlyDictionary<string, AgentStatus> Latest => _latest;

    /// <summary>Keeps an agent's status and raises or clears its alarm; the status as kept.</summary>
    public AgentStatus Heard(string site, AgentStatus status, DateTimeOffset now, SitesFile sites, AlarmBook alarms)
    {
        var agentId = status.AgentId;
        // An agent's own error text goes into an alarm twice (reason and its argument): a long one would make an
        // alarm the broker refuses, and every alarm after it would wait behind it.
        if (status.LastError is { Length: > MaxErrorChars } error) status = status with { LastError = error[..MaxErrorChars] + "…" };
        _latest[agentId] = status;
        _lastHeard[agentId] = (site, now);
        if (!status.Online && !_offlineAlarms.ContainsKey(agentId))
        {
            // The latest status says why; the first says since when. An agent that keeps dropping off is counted from its
            // first drop until it has stayed back for the delay: one on a bad link is offline most of the time.
            var since = _goingOffline.TryGetValue(agentId, out var earlier) ? earlier.Since : now;
            _goingOffline[agentId] = (site, BoreOf(status, site, sites), status, since, BackAt: null);
            Tick(now, sites, alarms);
        }
        else if (status.Online)
        {
            if (_goingOffline.TryGetValue(agentId, out var pending) && pending.BackAt is null) _goingOffline[agentId] = pending with { BackAt = now };
            if (_offlineAlarms.Remove(agentId, out var open)) alarms.ConditionCleared(open, now, AlarmReason.AgentOnline(agentId));
        }
        return status;
    }

    /// <summary>An agent-offline alarm still open after a restart, to be cleared when its agent is back.</summary>
    public void Restored(string agentId, Guid alarmId) => _offlineAlarms[agentId] = alarmId;

    /// <summary>
    /// Raises the alarm of each agent offline for <see cref="OfflineDelay"/> (ISA-18.2's on-delay): an agent restarted
    /// for an update, or every agent at once when the broker restarts, is back within seconds, and an alarm that has
    /// cleared before anyone could look only teaches the operators to ignore the next one.
    /// </summary>
    public void Tick(DateTimeOffset now, SitesFile sites, AlarmBook alarms)
    {
        NoticeSilent(now, sites);
        List<string>? due = null, settled = null;
        foreach (var (agentId, pending) in _goingOffline)
        {
            // Back within the delay, and staying: nobody needs to hear of it.
            if (pending.BackAt is { } back) { if (now - back >= OfflineDelay) (settled ??= []).Add(agentId); }
            else if (now - pending.Since >= OfflineDelay) (due ??= []).Add(agentId);
        }
        foreach (var agentId in settled ?? []) _goingOffline.Remove(agentId);
        foreach (var agentId in due ?? [])
        {
            _goingOffline.Remove(agentId, out var pending);
            var (site, bore, status, _, _) = pending;
            var id = Guid.NewGuid();
            _offlineAlarms[agentId] = id;
            // Stopped on purpose, the camera is still out and the operators still see it, without a call to action.
            var stopped = status.Stopped == true;
            alarms.Raise(new AlarmTransition
            {
                AlarmId = id, Kind = AlarmKind.AgentOffline, State = AlarmState.ActiveUnacknowledged,
                Priority = stopped ? AlarmPriority.Low : AlarmPriority.Medium,
                Site = site, Bore = bore, At = now, AgentId = agentId, Lane = status.Lane,
            }.WithReason(stopped ? AlarmReason.AgentStopped(agentId)
                : status.LastError is { } err ? AlarmReason.AgentOfflineError(agentId, err) : AlarmReason.AgentOffline(agentId)));
        }
    }

    /// <summary>An agent online by its last status that has said nothing for <see cref="SilentAfter"/> goes offline from then on.</summary>
    private void NoticeSilent(DateTimeOffset now, SitesFile sites)
    {
        foreach (var (agentId, (site, heard)) in _lastHeard)
        {
            var silent = now - heard;
            if (silent < SilentAfter || _offlineAlarms.ContainsKey(agentId) || _goingOffline.ContainsKey(agentId)) continue;
            if (_latest.GetValueOrDefault(agentId) is not { Online: true } status) continue;
            var why = $"no status for {silent.TotalSeconds:0} s though still connected (a hung agent?)";
            _goingOffline[agentId] = (site, BoreOf(status, site, sites), status with { Online = false, LastError = why }, heard + SilentAfter, BackAt: null);
        }
    }

    /// <summary>The agent's bore as its status says, else its site's first (an alarm needs one).</summary>
    private static string BoreOf(AgentStatus status, string site, SitesFile sites) =>
        status.Bore ?? sites.Sites.FirstOrDefault(s => s.Id == site)?.Bores.FirstOrDefault()?.Id ?? "";
}
