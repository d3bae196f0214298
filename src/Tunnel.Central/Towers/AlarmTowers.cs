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
        _towers = settings.Select(s => new AlarmTower(s, () => service.Snapshot.OpenAlarms, clock, log)
        {
            // Checked against the sites in force, which maintenance may have changed in the console since the
            // configuration was written. Not a reason to stop the service: its other towers and outputs still work.
            Problem = s.SiteProblem(service.Sites),
        }).ToList();
        foreach (var t in _towers.Where(t => t.Problem is not null))
            log.LogWarning("alarm tower {Tower} will show nothing: {Problem}", t.Settings.Id, t.Problem);
        // Raised after the snapshot the towers read is taken, so the change is already in it.
        if (_towers.Count > 0) service.AlarmChanged += _ => { foreach (var t in _towers) t.Changed(); };
    }

    public IReadOnlyList<AlarmTowerStatus> Statuses => _towers.Select(t => t.Status).ToList();

    public void Start()
    {
        foreach (var t in _towers) _loops.Add(Task.Run(() => t.RunAsync(_stop.Token)));
    }

    public AlarmTower? Find(string id) => _towers.FirstOrDefault(t => t.Settings.Id == id);

    /// <summary>Stops writing and leaves the outputs as they are: the alarms they show are still open, and stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        // A loop ends on the cancellation only (each round catches its own failures); nothing here may stop the
        // host's shutdown from reaching the broker and the store.
        try { await Task.WhenAll(_loops); }
        catch (Exception) { }
        foreach (var t in _towers) await t.DisposeAsync();
        _stop.Dispose();
    }
}
