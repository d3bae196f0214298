using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;

namespace Tunnel.Central.Towers;

/// <summary>Every configured alarm tower, each on a loop of its own, woken whenever an alarm changes.</summary>
public sealed class AlarmTowers : IAsyncDisposable
{
    private readonly IReadOnlyList<AlarmTower> _towers;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public AlarmTowers(IReadOnlyList<AlarmTowerSettings> settings, CentralService service, TimeProvider clock, ILoggerFactory logs)
    {
        var log = logs.CreateLogger<AlarmTower>();
        _towers = settings.Select(s => new AlarmTower(s, () => service.Snapshot.OpenAlarms, clock, log)).ToList();
        // Raised after the snapshot the towers read is taken, so the change is already in it.
        if (_towers.Count > 0) service.AlarmChanged += _ => { foreach (var t in _towers) t.Changed(); };
    }

    public IReadOnlyList<AlarmTowerStatus> Statuses => _towers.Select(t => t.Status).ToList();

    public void Start()
    {
        foreach (var t in _towers) _loops.Add(Task.Run(() => t.RunAsync(_stop.Token)));
    }

    /// <summary>Lights every output of one tower for <paramref name="duration"/>; false if no tower has that id.</summary>
    public bool Test(string id, TimeSpan duration)
    {
        if (_towers.FirstOrDefault(t => t.Settings.Id == id) is not { } tower) return false;
        tower.Test(duration);
        return true;
    }

    /// <summary>Stops writing and leaves the outputs as they are: the alarms they show are still open, and stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_loops);
        foreach (var t in _towers) await t.DisposeAsync();
        _stop.Dispose();
    }
}
