using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;

namespace Tunnel.Cli.Demo;

public sealed record DemoOptions
{
    /// <summary>Configuration overrides on top of appsettings.json and the environment, as `tunnel central` takes them.</summary>
    public IDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();
    /// <summary>Time compression: simulated seconds per real second, for the central service and the agents alike.</summary>
    public double Speed { get; init; } = 1;
    public DemoTrafficOptions Traffic { get; init; } = new();
    /// <summary>How often the live view redraws (real time).</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>How often the plain output prints a status line (real time).</summary>
    public TimeSpan StatusEvery { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long to wait for the central service to confirm the last passages before stopping (real time).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// What a demo run did; the last line is stable key=value text for scripts and CI. Every passage published is accepted,
/// dead-lettered or <see cref="Undelivered"/> (left in its agent's outbox, never taken by the central service); duplicates
/// are copies of taken ones, sent again.
/// </summary>
public sealed record DemoSummary(
    TimeSpan RealTime, TimeSpan SimulatedTime, double Speed,
    long Published, long Resent, long Accepted, long Duplicates, long DeadLettered, int Undelivered,
    int MaxInside, int StopsSimulated, IReadOnlyDictionary<AlarmKind, int> AlarmsRaised, int OpenAlarms)
{
    public int TotalAlarmsRaised => AlarmsRaised.Values.Sum();

    public override string ToString()
    {
        var kinds = string.Join(", ", AlarmsRaised.Where(kv => kv.Value > 0).Select(kv => $"{TunnelJson.Name(kv.Key)} {kv.Value}"));
        return string.Create(CultureInfo.InvariantCulture, $"""
            demo finished after {LiveView.Span(RealTime)} real, {LiveView.Span(SimulatedTime)} simulated (x{Speed:0.##})
              passages: published {Published} (+{Resent} re-sent), accepted {Accepted}, duplicates {Duplicates}, dead letters {DeadLettered}, undelivered {Undelivered}{(Undelivered > 0 ? " (still in the agents' outboxes when the demo stopped)" : "")}
              vehicles inside at most: {MaxInside}; stops simulated: {StopsSimulated} (ground truth)
              alarms raised: {TotalAlarmsRaised}{(kinds.Length > 0 ? $" ({kinds})" : "")}, open at the end: {OpenAlarms}
            summary: published={Published} accepted={Accepted} duplicates={Duplicates} dead-letters={DeadLettered} max-inside={MaxInside} stops={StopsSimulated} alarms={TotalAlarmsRaised} overdue={AlarmsRaised.GetValueOrDefault(AlarmKind.Overdue)} congestion={AlarmsRaised.GetValueOrDefault(AlarmKind.Congestion)} agent-offline={AlarmsRaised.GetValueOrDefault(AlarmKind.AgentOffline)} undelivered={Undelivered}
            """);
    }
}

/// <summary>
/// `tunnel demo` without the command line: the central host exactly as `tunnel central` starts it
/// (on a <see cref="ScaledClock"/>), one simulated agent per camera publishing simulated traffic
/// through the private broker, and a screen (live view or status lines) fed from the service's snapshot.
/// </summary>
public sealed class DemoRunner : IAsyncDisposable
{
    private readonly DemoOptions _options;
    private readonly ScaledClock _clock;
    private readonly CentralHost _host;
    private readonly SimulatedAgents _agents;
    private readonly TrafficFeed _feed;
    private readonly DemoTower? _tower;
    private readonly ConcurrentDictionary<Guid, AlarmKind> _raised = new();
    private int _maxInside;

    private DemoRunner(DemoOptions options, ScaledClock clock, CentralHost host, SimulatedAgents agents, TrafficFeed feed, DemoTower? tower)
    {
        (_options, _clock, _host, _agents, _feed, _tower) = (options, clock, host, agents, feed, tower);
        _host.Service.AlarmChanged += t =>
        {
            if (t.State == AlarmState.ActiveUnacknowledged) _raised.TryAdd(t.AlarmId, t.Kind);
        };
    }

    public CentralHost Host => _host;
    public ScaledClock Clock => _clock;
    public SimulatedAgents Agents => _agents;
    public TrafficFeed Feed => _feed;
    /// <summary>The simulated alarm tower, or null where pymodbus is missing.</summary>
    public DemoTower? Tower => _tower;
    public int AlarmsRaised => _raised.Count;

    /// <summary>How to log in to the console, as the screen says it.</summary>
    public string Login { get; private init; } = "";

    private static bool IsFresh(string? dataDirectory) =>
        dataDirectory is null || !Directory.Exists(dataDirectory) || !Directory.EnumerateFileSystemEntries(dataDirectory).Any();

    public static async Task<DemoRunner> StartAsync(DemoOptions options, ILoggerFactory logs, CancellationToken ct)
    {
        var clock = new ScaledClock(options.Speed);
        var configuration = CentralHost.LoadConfiguration(options.Configuration);
        // A fresh demo with no admin password chosen: one made here, so the screen can say how to log in (the
        // service's log line with the password it would make scrolls out of the live view).
        string? madePassword = null;
        if (string.IsNullOrEmpty(configuration["Tunnel:Console:AdminPassword"]) && IsFresh(configuration["Tunnel:DataDirectory"]))
        {
            madePassword = WebConsole.Security.UserDirectory.RandomPassword();
            configuration = new ConfigurationBuilder().AddConfiguration(configuration)
                .AddInMemoryCollection([new("Tunnel:Console:AdminPassword", madePassword)]).Build();
        }
        // A beacon and siren over Modbus TCP, configured as an operator would configure a real tower.
        var tower = await DemoTower.StartAsync(logs.CreateLogger<DemoTower>(), ct);
        if (tower is not null)
            configuration = new ConfigurationBuilder().AddConfiguration(configuration)
                .AddInMemoryCollection(tower.Settings(configuration.GetSection("Tunnel:AlarmTowers").GetChildren().Count())).Build();
        CentralHost host;
        try { host = await CentralHost.StartAsync(configuration, clock, logs, ct: ct); }
        catch
        {
            if (tower is not null) await tower.DisposeAsync();
            throw;
        }
        try
        {
            var agents = await SimulatedAgents.ConnectAsync(host, clock, ct);
            // Pictures need the CJK font (fonts-noto-cjk); without it the demo runs without them.
            try { agents.SendSnapshots(new DemoSnapshots()); }
            catch (Exception e) when (e is Recognition.Native.OpenCvException or FileNotFoundException) { logs.CreateLogger<DemoRunner>().LogWarning("demo snapshots off: {Error}", e.Message); }
            return new DemoRunner(options, clock, host, agents, new TrafficFeed(host.Sites, options.Traffic, clock.GetUtcNow()), tower)
            {
                Login = madePassword is null ? $"{WebConsole.Security.UserDirectory.FirstAdmin} (with the password you chose)" : $"{WebConsole.Security.UserDirectory.FirstAdmin} / {madePassword}",
            };
        }
        catch
        {
            await host.DisposeAsync();
            if (tower is not null) await tower.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Plays traffic and shows it until <paramref name="stop"/> fires, then lets the agents hand over what
    /// they captured, waits (up to <see cref="DemoOptions.DrainTimeout"/>) for the central service to confirm it,
    /// and stops the agents and then the service, whose final counts the summary gives. The store and broker go with
    /// <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task<DemoSummary> RunAsync(DemoScreen screen, CancellationToken stop, CancellationToken interrupted = default)
    {
        var real = TimeProvider.System.GetTimestamp();
        var started = _clock.GetUtcNow();
        var publisher = Task.Run(() => PublishLoopAsync(stop), CancellationToken.None);
        await screen.RunAsync(this, stop);
        await publisher;

        // Late passages captured before the stop go out now, as an agent empties its outbox before shutting down:
        // the next run then continues without a hole in any agent's sequence.
        foreach (var (agentId, passage) in _feed.CapturedButUndelivered(_clock.GetUtcNow(), Capture)) _agents[agentId].Send(passage);
        // Ctrl+C asks for a quick end: a second is plenty for the private broker and the store, which confirm in milliseconds.
        var drainFor = interrupted.IsCancellationRequested ? TimeSpan.FromSeconds(Math.Min(1, _options.DrainTimeout.TotalSeconds)) : _options.DrainTimeout;
        using (var drain = new CancellationTokenSource(drainFor))
        {
            try { await _agents.WhenDrained(drain.Token); }
            catch (OperationCanceledException) { }
        }
        // The screen's snapshot is refreshed every quarter second or so, and one read now could miss the last passages
        // taken. Stopped, the service has taken its last: its final snapshot counts everything, and its store tells which of
        // the agents' unconfirmed passages it took after all (a confirmation still on its way) and which it never had.
        await _agents.StopAsync();
        await _host.StopServiceAsync();
        var s = Sample();
        return new DemoSummary(
            TimeProvider.System.GetElapsedTime(real), _clock.GetUtcNow() - started, _clock.Speed,
            _agents.Published, _agents.Resent, s.Accepted, s.Duplicates, s.DeadLettered, Undelivered(),
            _maxInside, _feed.Stops.Count(x => x.StoppedAt <= _clock.GetUtcNow()),
            _raised.Values.GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count()), s.OpenAlarms.Count);
    }

    /// <summary>Passages still unconfirmed in the agents' outboxes that the store does not hold: the service never took them.</summary>
    private int Undelivered() => _agents.All.Sum(agent =>
    {
        var unconfirmed = agent.Unconfirmed;
        if (unconfirmed.Count == 0) return 0;
        var stored = _host.Store.Progress(agent.AgentId);
        return unconfirmed.Count(seq => !stored.Holds(seq));
    });

    /// <summary>The service's current snapshot, also keeping the largest number of vehicles seen inside.</summary>
    public CentralSnapshot Sample()
    {
        var s = _host.Service.Snapshot;
        var inside = s.Bores.Sum(b => b.Inside.Count);
        if (inside > Volatile.Read(ref _maxInside)) Volatile.Write(ref _maxInside, inside);
        return s;
    }

    public DemoFrame Frame(IReadOnlyList<string> recentEvents)
    {
        var now = _clock.GetUtcNow();
        return new DemoFrame(Sample(), now, _clock.Speed, _host.HttpUrls, Login, _agents.All.Count, _agents.Published, _agents.OutboxDepth,
            AlarmsRaised, _feed.Stops.Count(x => x.StoppedAt <= now), recentEvents, _tower?.Lit);
    }

    private Passage Capture(string agentId, Passage seen) => _agents[agentId].Capture(seen);

    private async Task PublishLoopAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var (agentId, passage) in _feed.Advance(_clock.GetUtcNow(), Capture)) _agents[agentId].Send(passage);
                Sample();
                var wait = (_feed.NextDelivery ?? _clock.GetUtcNow().AddSeconds(1)) - _clock.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _clock, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _agents.DisposeAsync();
        await _host.DisposeAsync();
        // After the service, whose tower loop would otherwise report the module gone.
        if (_tower is not null) await _tower.DisposeAsync();
    }
}

/// <summary>Where the demo shows itself: a live Spectre screen on a terminal, status lines otherwise.</summary>
public abstract class DemoScreen
{
    public abstract Task RunAsync(DemoRunner demo, CancellationToken stop);

    /// <summary>The live view, redrawn every <see cref="DemoOptions.Refresh"/>; the last frame stays on screen.</summary>
    public sealed class Live(IAnsiConsole console, RecentEvents events, TimeSpan refresh) : DemoScreen
    {
        public override Task RunAsync(DemoRunner demo, CancellationToken stop) =>
            console.Live(LiveView.Render(demo.Frame(events.Lines)))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Ellipsis)
                .Cropping(VerticalOverflowCropping.Bottom)
                .StartAsync(async ctx =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        ctx.UpdateTarget(LiveView.Render(demo.Frame(events.Lines)));
                        ctx.Refresh();
                        try { await Task.Delay(refresh, stop); }
                        catch (OperationCanceledException) { }
                    }
                    ctx.UpdateTarget(LiveView.Render(demo.Frame(events.Lines)));
                });
    }

    /// <summary>A status line every <paramref name="every"/> (and a header first), for CI logs and pipes.</summary>
    public sealed class Plain(TextWriter output, TimeSpan every) : DemoScreen
    {
        public override async Task RunAsync(DemoRunner demo, CancellationToken stop)
        {
            output.WriteLine($"Tunnel demo: console {demo.Host.HttpUrls}, log in as {demo.Login} (/healthz, /metrics), broker {demo.Host.BrokerHost}:{demo.Host.BrokerPort}, " +
                             $"{demo.Agents.All.Count} simulated agents, speed x{demo.Clock.Speed.ToString("0.##", CultureInfo.InvariantCulture)}; Ctrl+C stops");
            using var timer = new PeriodicTimer(every);
            try
            {
                do
                {
                    output.WriteLine(LiveView.StatusLine(demo.Frame([])));
                    output.Flush();
                } while (await timer.WaitForNextTickAsync(stop));
            }
            catch (OperationCanceledException) { }
        }
    }
}
