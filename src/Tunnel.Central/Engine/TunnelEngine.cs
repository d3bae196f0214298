using Tunnel.Central.Alarms;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Engine;

/// <summary>
/// Every bore of every site, fed passages and the clock. Not thread-safe: one thread drives it
/// (the ingest loop live, the reader in replay).
/// </summary>
public sealed class TunnelEngine
{
    private static readonly TimeSpan TickEvery = TimeSpan.FromSeconds(10);
    private readonly Dictionary<BoreKey, BoreMonitor> _bores = [];
    // Duplicates come from QoS 1 redelivery and outbox re-sends, within hours; the store rejects older ones.
    private static readonly TimeSpan RememberFor = TimeSpan.FromHours(6);
    private readonly RecentIds _seen = new(RememberFor);
    private readonly DueQueue _due = new();
    private DateTimeOffset _nextTick = DateTimeOffset.MinValue;

    public TunnelEngine(SitesFile sites, DetectorSettings settings, Action<AlarmTransition> alarmSink)
    {
        Settings = settings;
        Alarms = new AlarmBook(alarmSink);
        // A shelf that ends asks the alarm's bore whether an escalation fell due meanwhile.
        Alarms.EscalationDue = (alarm, now) => _bores.GetValueOrDefault(alarm.Bore)?.EscalationDue(alarm, now);
        foreach (var (site, bore) in sites.AllBores()) AddBore(new BoreKey(site.Id, bore.Id), bore);
    }

    /// <summary>Starts watching a bore (added at run time, or at start); false when it is watched already.</summary>
    public bool AddBore(BoreKey key, BoreConfig config)
    {
        if (_bores.ContainsKey(key)) return false;
        _bores[key] = new BoreMonitor(key, config, Settings, Alarms, _due, (k, t) => EndedTransits.Add((k, t)));
        return true;
    }

    /// <summary>
    /// Stops watching a bore. Refused (with the reason) while vehicles are tracked inside it or its
    /// alarms are open: they would be forgotten without anyone having handled them.
    /// </summary>
    public string? RemoveBore(BoreKey key)
    {
        if (!_bores.TryGetValue(key, out var bore)) return $"bore '{key}' is not configured";
        if (WhyBusy(key) is { } busy) return busy;
        _bores.Remove(key);
        return null;
    }

    /// <summary>Why a bore cannot be retired or changed now, or null when it is idle.</summary>
    public string? WhyBusy(BoreKey key)
    {
        if (!_bores.TryGetValue(key, out var bore)) return null;
        if (bore.Matcher.OpenCount > 0)
            return $"bore '{key}' has {bore.Matcher.OpenCount} vehicle(s) inside; retire it once it is closed to traffic and empty";
        var open = Alarms.Open.Count(a => a.Bore == key);
        return open > 0 ? $"bore '{key}' has {open} open alarm(s); close them first" : null;
    }

    public DetectorSettings Settings { get; }
    /// <summary>Transits that ended (matched, inferred or given up) since the owner last took them, for the store.</summary>
    public List<(BoreKey Bore, Matching.Transit Transit)> EndedTransits { get; } = [];
    public AlarmBook Alarms { get; }
    public IReadOnlyDictionary<BoreKey, BoreMonitor> Bores => _bores;
    public DateTimeOffset Now { get; private set; } = DateTimeOffset.MinValue;
    public long Duplicates { get; private set; }
    public long UnknownBore { get; private set; }

    /// <summary>
    /// Whether <see cref="Process"/> alone tells this passage from a re-send of one it took: false when
    /// it was captured so long ago (an outbox emptied after hours offline) that its first delivery may
    /// have been forgotten; then only the store knows. The margin covers agents' clocks running ahead.
    /// </summary>
    public bool Remembers(Passage passage) => Now - passage.CapturedAt <= RememberFor - TimeSpan.FromMinutes(30);

    public bool HasSeen(Guid eventId) => _seen.Contains(eventId);

    /// <summary>Takes one passage at <paramref name="now"/>. False if it changed nothing (a duplicate, an unknown bore).</summary>
    public bool Process(Passage passage, DateTimeOffset now)
    {
        AdvanceTo(now);
        if (!_bores.TryGetValue(passage.BoreKey, out var bore)) { UnknownBore++; return false; }
        if (!_seen.Add(passage.EventId, Now)) { Duplicates++; return false; }
        bore.OnPassage(passage, Now);
        return true;
    }

    /// <summary>
    /// Takes an agent's status at <paramref name="now"/>: an exit agent's last sequence number shows which of its
    /// passages are late. Its place is checked against the passages it sent, not taken from the status.
    /// </summary>
    public void Process(AgentStatus status, DateTimeOffset now)
    {
        AdvanceTo(now);
        if (status is not { Portal: Portal.Exit, Site: { } site, Bore: { } bore, LastSeq: { } lastSeq }) return;
        // An agent's clock a little ahead must not date the missing passages after the present.
        var at = status.At is { } said && said < Now ? said : Now;
        if (_bores.TryGetValue(new BoreKey(site, bore), out var monitor)) monitor.OnExitAgentStatus(status.AgentId, lastSeq, at);
    }

    /// <summary>
    /// An operator saw the vehicle an overdue alarm names leave the bore, or found the bore clear of it, where no camera saw it
    /// go (its exit plate unread, or its entry plate unread so that the exit matched nothing): otherwise the alarm stands and
    /// the vehicle counts inside until it is given up after <see cref="DetectorSettings.MaxTracked"/>. Every vehicle the alarm
    /// names that is still tracked is taken out, and the alarm is acknowledged with the note and cleared: closed. Only an
    /// active alarm (a shelved one is lifted first, a cleared one only wants acknowledging). Returns the alarm's bore and the
    /// vehicles taken out, which the store keeps for a rebuild to replay.
    /// </summary>
    public (BoreKey Bore, IReadOnlyList<Guid> Gone) SeenLeaving(Guid alarmId, string by, string? note, DateTimeOffset now)
    {
        AdvanceTo(now);
        var alarm = Alarms.Find(alarmId) ?? throw new NoOpenAlarmException(alarmId);
        if (alarm.Kind != AlarmKind.Overdue) throw new AlarmStateException($"alarm {alarmId} is {TunnelJson.Name(alarm.Kind)}: it names no vehicle");
        if (alarm.State is not (AlarmState.ActiveUnacknowledged or AlarmState.ActiveAcknowledged))
            throw new AlarmStateException($"alarm {alarmId} is {TunnelJson.Name(alarm.State)}: only an active alarm's vehicle can be seen leaving");
        var gone = new List<Guid>();
        if (_bores.TryGetValue(alarm.Bore, out var bore))
            foreach (var entry in (Guid?[])[alarm.Raised.EntryEventId, alarm.Raised.Alternative?.EntryEventId])
                if (entry is { } id && bore.SeenLeaving(id)) gone.Add(id);
        if (alarm.State == AlarmState.ActiveUnacknowledged) Alarms.Acknowledge(alarmId, by, note, Now);
        Alarms.ConditionCleared(alarmId, Now, AlarmReason.SeenLeaving(by));
        return (alarm.Bore, gone);
    }

    /// <summary>A vehicle seen leaving, replayed after a restart at the moment it was (see <see cref="SeenLeaving(Guid, string, string?, DateTimeOffset)"/>).</summary>
    public void SeenLeaving(BoreKey bore, Guid entryEventId, DateTimeOffset at)
    {
        AdvanceTo(at);
        _bores.GetValueOrDefault(bore)?.SeenLeaving(entryEventId);
    }

    /// <summary>Moves the clock, firing every timer that falls due on the way at its own time.</summary>
    public void AdvanceTo(DateTimeOffset now)
    {
        if (now <= Now) return;
        if (_nextTick == DateTimeOffset.MinValue) _nextTick = now;
        while (true)
        {
            _due.TryPeek(out var nextDue);
            var next = nextDue < _nextTick ? nextDue : _nextTick;
            if (next > now) break;
            if (next > Now) Now = next;
            if (next == _nextTick && _nextTick <= nextDue)
            {
                foreach (var bore in _bores.Values)
                {
                    try { bore.OnTick(Now); }
                    catch (Exception e) when (e is not OutOfMemoryException) { TimerFault(e); }
                }
                try { Alarms.ExpireShelves(Now); }
                catch (Exception e) when (e is not OutOfMemoryException) { TimerFault(e); }
                _nextTick += TickEvery;
                continue;
            }
            if (!_due.TryTakeDue(next, out var b, out var transit)) continue;
            try { b.OnDue(transit, Now); }
            catch (Exception e) when (e is not OutOfMemoryException) { TimerFault(e); }
        }
        Now = now;
    }

    /// <summary>Timer work that threw. Counted, and the clock moves on: a fault on one bore or vehicle must not stop it for all.</summary>
    public long TimerFaults { get; private set; }
    public string? LastTimerFault { get; private set; }

    private void TimerFault(Exception e)
    {
        TimerFaults++;
        LastTimerFault = $"{Now:O}: {e.GetType().Name}: {e.Message}";
    }
}
