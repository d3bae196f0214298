using System.Collections.Concurrent;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Live;

/// <summary>
/// Each open alarm's latest transition. The service's snapshot keeps only the raising one, so a shelve's
/// reason and who acted were gone from the wall at the next snapshot, and after a reload. Those from before a
/// restart come from the store.
/// </summary>
public sealed class LatestTransitions : IDisposable
{
    private readonly CentralService _service;
    private readonly ConcurrentDictionary<Guid, AlarmTransition> _latest = new();

    public LatestTransitions(CentralService service, TunnelStore store)
    {
        _service = service;
        service.AlarmChanged += OnAlarm;
        // After subscribing, and without overwriting: a transition announced meanwhile is newer than the stored one.
        foreach (var stored in store.CurrentAlarms()) _latest.TryAdd(stored.AlarmId, stored);
    }

    // On the service's loop: a dictionary write, nothing that could wait.
    internal void OnAlarm(AlarmTransition t)
    {
        if (t.State == AlarmState.Closed) _latest.TryRemove(t.AlarmId, out _);
        else _latest[t.AlarmId] = t;
    }

    public AlarmTransition? Find(Guid alarmId) => _latest.GetValueOrDefault(alarmId);

    /// <summary>
    /// Forgets alarms no longer open in a snapshot taken at <paramref name="snapshotAt"/> (one forgotten without a closing
    /// transition would stay forever). A transition after the snapshot is kept: its alarm is newer than the snapshot knows.
    /// </summary>
    public void KeepOnly(IEnumerable<Guid> open, DateTimeOffset snapshotAt)
    {
        var keep = open.ToHashSet();
        foreach (var (id, latest) in _latest)
            if (!keep.Contains(id) && latest.At <= snapshotAt) _latest.TryRemove(KeyValuePair.Create(id, latest));
    }

    public void Dispose() => _service.AlarmChanged -= OnAlarm;
}
