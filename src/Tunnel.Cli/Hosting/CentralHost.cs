using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Overdue;
using Tunnel.Central.Service;
using Tunnel.Central.Towers;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Storage;
using Tunnel.WebConsole;
using Tunnel.WebConsole.Api;

namespace Tunnel.Cli.Hosting;

/// <summary>
/// Everything `tunnel central` runs, wired once: the configuration, the private broker (embedded
/// default), the store, the MQTT session, the central service loop and its HTTP endpoints. This is
/// the only place that composes the parts.
/// </summary>
public sealed class CentralHost : IAsyncDisposable
{
    /// <summary>The central loop finishes a turn every quarter second: one that has not for this long is reported stalled on /healthz.</summary>
    public static readonly TimeSpan LoopStallLimit = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private MosquittoBroker? _broker;
    private BrokerConnection? _mqtt;
    private TunnelStore? _store;
    private WebApplication? _web;
    private Task? _loop;
    private Task? _retention;
    private AlarmTowers? _towers;
    private Task? _serviceStopped;
    private SitesFile _startSites;

    private CentralHost(TunnelSettings settings, SitesFile sites, ILoggerFactory logs)
    {
        Settings = settings;
        _startSites = sites;
        Logs = logs;
    }

    public TunnelSettings Settings { get; }
    /// <summary>The sites in force: changed at run time by maintenance through the console.</summary>
    public SitesFile Sites => Service?.Sites ?? _startSites;
    public ILoggerFactory Logs { get; }
    public CentralService Service { get; private set; } = null!;
    public TunnelStore Store => _store!;
    public SnapshotStore Snapshots { get; private set; } = null!;
    public BrokerCredentials? Credentials { get; private set; }
    public string BrokerHost { get; private set; } = "";
    public int BrokerPort { get; private set; }
    /// <summary>The private broker's TLS listener for the edge agents, when Tunnel:Broker:NetworkListener asks for one.</summary>
    public int? BrokerTlsPort => _broker?.TlsPort;
    /// <summary>The private broker's process id when this host started one.</summary>
    public int? EmbeddedBrokerProcessId => _broker?.ProcessId;
    public string HttpUrls => string.Join(", ", _web?.Urls ?? []);
    public Task Loop => _loop ?? Task.CompletedTask;

    /// <summary>Reads appsettings.json, environment variables (Tunnel__Broker__Port=…) and the given overrides.</summary>
    public static IConfiguration LoadConfiguration(IDictionary<string, string?> overrides) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides)
            .Build();

    public static async Task<CentralHost> StartAsync(IConfiguration configuration, TimeProvider clock, ILoggerFactory logs,
        bool quietHttp = false, CancellationToken ct = default)
    {
        var settings = configuration.GetSection("Tunnel").Get<TunnelSettings>() ?? new TunnelSettings();
        // A bad console setting stops the start with one line naming the key, not a stack trace once the broker is up.
        var console = configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
        if (console.Problems() is { Count: > 0 } problems) throw new ConfigurationProblem(problems);
        var detector = configuration.GetSection("Tunnel:Detector").Get<DetectorSettings>() ?? new DetectorSettings();
        var sites = settings.SitesFile is { } path ? SitesFile.Load(path) : SitesFile.Maoliling;
        if (AlarmTowerSettings.Problems(settings.AlarmTowers) is { Count: > 0 } towerProblems) throw new ConfigurationProblem(towerProblems);
        if (settings.Broker.TlsProblems() is { Count: > 0 } tlsProblems) throw new ConfigurationProblem(tlsProblems);
        // The data directory holds plates, password hashes, broker passwords and session keys: owner only.
        var dataDir = Directory.CreateDirectory(settings.DataDirectory);
        if (!OperatingSystem.IsWindows()) dataDir.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var host = new CentralHost(settings, sites, logs);
        try
        {
            await host.StartCoreAsync(configuration, detector, clock, quietHttp, ct);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private async Task StartCoreAsync(IConfiguration configuration, DetectorSettings detector, TimeProvider clock, bool quietHttp, CancellationToken ct)
    {
        var log = Logs.CreateLogger<CentralHost>();
        var storeOptions = Settings.Database.Provider == StoreProvider.Sqlite && string.IsNullOrEmpty(Settings.Database.ConnectionString)
            ? StoreOptions.SqliteInDataDirectory(Settings.DataDirectory)
            : new StoreOptions(Settings.Database.Provider, Settings.Database.ConnectionString ?? "");
        _store = TunnelStore.Open(storeOptions with { Clock = clock });
        _startSites = StartSites(_store, log);
        _store.SaveConfig("sites", TunnelJson.Serialize(_startSites), clock.GetUtcNow());

        var broker = Settings.Broker;
        string password;
        if (broker.Embedded)
        {
            (_broker, Credentials) = await EmbeddedBroker.StartAsync(Settings.DataDirectory, _startSites, broker.Host, broker.Port, ct,
                tlsListener: broker.NetworkListener.Listener);
            (BrokerHost, BrokerPort, password) = (_broker.Host, _broker.Port, Credentials.For(EmbeddedBroker.CentralUser));
            log.LogInformation("private mosquitto on {Host}:{Port}, data in {Dir}", BrokerHost, BrokerPort, _broker.DataDirectory);
            if (_broker.TlsPort is { } tlsPort)
                log.LogInformation("private mosquitto's TLS listener for the edge agents on {Host}:{Port}", broker.NetworkListener.Host, tlsPort);
            if (!System.Net.IPAddress.TryParse(broker.Host, out var address) || !System.Net.IPAddress.IsLoopback(address))
                log.LogWarning("the private mosquitto listens on {Host} without TLS: agents' passwords and plates cross the network in clear; " +
                    "keep Tunnel:Broker:Host on 127.0.0.1 and give the agents Tunnel:Broker:NetworkListener", broker.Host);
            _broker.Crashed += code => _ = RestartBrokerAsync(code, log);
            _broker.TlsFilesReloaded += error =>
            {
                if (error is null)
                    log.LogInformation("the private mosquitto's certificate {CertFile} or its key changed: it has read them again, new agent connections get the renewed certificate", broker.NetworkListener.CertFile);
                else
                    log.LogError("the private mosquitto's certificate or key changed but it could not be told to read them again: {Error}; tried again at the next check", error.Message);
            };
        }
        else
        {
            (BrokerHost, BrokerPort) = (broker.Host, broker.Port);
            password = broker.Password ?? throw new InvalidOperationException("Tunnel:Broker:Password is required for an external broker");
        }

        // Replaced by a new client of the same id and session whenever libmosquitto's ends for good (a TLS failure, a refused login).
        _mqtt = new BrokerConnection(new MqttClientOptions
        {
            Host = BrokerHost, Port = BrokerPort, ClientId = "tunnel-central",
            Username = broker.Embedded ? EmbeddedBroker.CentralUser : broker.Username, Password = password,
            // The private broker is reached on this machine's own listener; an external one may be across the network.
            Tls = broker.Embedded ? null : broker.Tls,
            // A persistent session: passages published while the service is down wait in the broker.
            CleanStart = false, SessionExpirySeconds = 7 * 24 * 3600,
        }, Logs.CreateLogger<BrokerConnection>());
        await _mqtt.ConnectAsync(ct);

        Snapshots = SnapshotStore.InDataDirectory(Settings.DataDirectory, clock);
        Service = new CentralService(_startSites, _store, _mqtt, detector, clock, Logs.CreateLogger<CentralService>(), snapshots: Snapshots)
        {
            AgentOfflineDelay = TimeSpan.FromSeconds(Math.Max(0, Settings.AgentOfflineDelaySeconds)),
            AgentSilentAfter = TimeSpan.FromSeconds(Math.Max(1, Settings.AgentSilentSeconds)),
        };
        _loop = Task.Run(() => Service.RunAsync(_stop.Token), CancellationToken.None);
        await Task.WhenAny(Service.Ready, _loop);
        if (_loop.IsFaulted) await _loop;
        _towers = new AlarmTowers(Settings.AlarmTowers, Service, clock, Logs);
        _towers.Start();

        _retention = Task.Run(() => RetentionLoopAsync(clock, log, _stop.Token), CancellationToken.None);
        _web = BuildWeb(configuration, clock);
        await _web.StartAsync(ct);
        // Tests and benchmarks start many hosts; the address line is for people.
        if (!quietHttp) log.LogInformation("HTTP on {Urls}: console /, /healthz, /metrics, /openapi/v1.json", HttpUrls);
    }

    /// <summary>
    /// A sites file named in the configuration is what the deployment says, and wins. Without one,
    /// the sites as maintenance last left them in the console (stored) carry over a restart; the
    /// reference deployment only seeds a new database.
    /// </summary>
    private SitesFile StartSites(TunnelStore store, ILogger log)
    {
        var stored = store.LoadConfig("sites") is { } json ? TunnelJson.Deserialize<SitesFile>(json) : null;
        if (Settings.SitesFile is not null)
        {
            if (stored is not null && TunnelJson.Serialize(stored) != TunnelJson.Serialize(_startSites))
                log.LogWarning("the sites file {File} replaces the sites as last changed in the console", Settings.SitesFile);
            return _startSites;
        }
        return stored is not null && stored.Validate().Count == 0 ? stored : _startSites;
    }

    /// <summary>
    /// The private broker died under the service: without it no passage arrives and no agent's last will tells the
    /// wall, so it is started again at once, on the same port and data, and again with a growing pause while that fails.
    /// </summary>
    private async Task RestartBrokerAsync(int exitCode, ILogger log)
    {
        log.LogError("the private mosquitto exited unexpectedly (code {Code}); starting it again", exitCode);
        var pause = TimeSpan.FromSeconds(1);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _broker!.RestartAsync(_stop.Token);
                log.LogWarning("private mosquitto running again on {Host}:{Port}", BrokerHost, BrokerPort);
                return;
            }
            // The service is stopping.
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (Exception e)
            {
                log.LogError("the private mosquitto did not start again: {Error}; next try in {Pause}", e.Message, pause);
            }
            try { await Task.Delay(pause, _stop.Token); } catch (OperationCanceledException) { return; }
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private WebApplication BuildWeb(IConfiguration configuration, TimeProvider clock)
    {
        // The configuration is loaded once, above. Left to reload appsettings.json on change, the host
        // watches its content root (the working directory) recursively, and with the data directory
        // under it every SQLite write woke that watcher: 7 % of the service's CPU at 2,000 passages/s.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddConfiguration(configuration);
        builder.WebHost.UseUrls(Settings.Http.Urls);
        // The slim builder leaves out the HTTPS part of Kestrel's configuration: without it an endpoint under Kestrel:Endpoints with a
        // certificate stops the start. With it the console serves HTTPS itself (those endpoints then replace Tunnel:Http:Urls).
        builder.WebHost.UseKestrelHttpsConfiguration();
        // One logging pipeline for the whole process: the console prints the first admin's password through it.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Logs);
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(Snapshots);
        // The console's "now" is the service's: in the demo that clock runs --speed times faster, and a
        // heartbeat's age or an alarm's time inside read against the real clock came out negative.
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(_towers!);
        if (_broker is { } broker)
            builder.Services.AddSingleton<ISitesChangeHook>(new BrokerSitesHook(broker, Settings.DataDirectory, Logs.CreateLogger<BrokerSitesHook>()));
        builder.Services.AddTunnelConsole(builder.Configuration, Service, Store);
        var app = builder.Build();
        app.MapOpenApi();
        app.MapTunnelConsole();
        app.MapGet("/healthz", () =>
        {
            var running = _loop is { IsCompleted: false };
            // The loop finishes a turn at every tick (a quarter second): one that has not for this long is stuck on something.
            var stalled = running && Service.SinceLastTurn > LoopStallLimit;
            var ok = _mqtt?.IsConnected == true && running && !stalled;
            var towers = _towers!.Statuses;
            return Results.Json(new
            {
                // An alarm tower out of reach does not stop the service, but a beacon that cannot light is worth a ladder;
                // a store that fails still leaves every passage decided and every alarm raised, kept until it is back.
                status = !ok ? "unhealthy" : towers.Any(t => !t.Working) || Service.StoreFailing ? "degraded" : "healthy",
                broker = _mqtt?.IsConnected == true ? "connected" : "disconnected",
                loop = !running ? "stopped" : stalled ? "stalled" : "running",
                store = Service.StoreFailing ? "failing" : "ok",
                loopErrors = Service.LoopErrors,
                at = Service.Snapshot.At,
                // The system clock stepped since the start (the service kept its own time): worth a look at the time server.
                clockDivergenceSeconds = clock is SteadyClock steady ? Math.Round(steady.Divergence.TotalSeconds, 1) + 0.0 : (double?)null, // + 0.0: never "-0"
                // Counts only: which tower and why is for the maintenance page, behind a login.
                alarmTowers = new { working = towers.Count(t => t.Working), notWorking = towers.Count(t => !t.Working) },
            }, statusCode: ok ? 200 : 503);
        }).WithSummary("Liveness and readiness of the central service");
        app.MapGet("/metrics", () => Results.Text(Metrics.Render(Service, _towers!, clock), "text/plain; version=0.0.4"))
            .WithSummary("Prometheus text exposition of counters and gauges");
        return app;
    }

    private async Task RetentionLoopAsync(TimeProvider clock, ILogger log, CancellationToken ct)
    {
        var retention = Settings.Retention;
        if (retention.PlateDays <= 0 && retention.DeadLetterDays <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            // Each purge on its own: a store that fails (locked, its disk full, PostgreSQL away) or a row it cannot purge must not
            // keep snapshots and spoken plates past their time, and on a full disk the old snapshots are what frees it.
            if (retention.PlateDays > 0)
            {
                var cutoff = clock.GetUtcNow() - TimeSpan.FromDays(retention.PlateDays);
                Purge("snapshots", () =>
                {
                    if (Snapshots.Purge(cutoff) is > 0 and var pictures)
                        log.LogInformation("retention: deleted {Count} snapshots older than {Days} days", pictures, retention.PlateDays);
                });
                Purge("spoken plates", () => WebConsole.Speech.SpeechService.Purge(Settings.DataDirectory, cutoff));
                Purge("plates", () =>
                {
                    if (_store!.PurgePlates(cutoff) is { Total: > 0 } purged)
                        log.LogInformation("retention: blanked {Count} plates older than {Days} days", purged.Total, retention.PlateDays);
                });
            }
            if (retention.DeadLetterDays > 0)
                Purge("dead letters", () =>
                {
                    if (_store!.DeleteDeadLetters(clock.GetUtcNow() - TimeSpan.FromDays(retention.DeadLetterDays)) is > 0 and var letters)
                        log.LogInformation("retention: deleted {Count} dead letters older than {Days} days", letters, retention.DeadLetterDays);
                });
        } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));

        void Purge(string what, Action purge)
        {
            try { purge(); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "retention purge of {What} failed; tried again in an hour", what);
            }
        }
    }

    /// <summary>
    /// Stops the service (HTTP, alarm towers, the loop and its writer) and leaves the store and the broker to
    /// <see cref="DisposeAsync"/>: the service's counts and last snapshot are final then, and the store holds all it took.
    /// </summary>
    public Task StopServiceAsync() => _serviceStopped ??= StopServiceCoreAsync();

    private async Task StopServiceCoreAsync()
    {
        _stop.Cancel();
        if (_web is not null) await _web.DisposeAsync();
        if (_towers is not null) await _towers.DisposeAsync();
        foreach (var task in new[] { _loop, _retention })
            if (task is not null)
                try { await task; } catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await StopServiceAsync();
        if (_mqtt is not null) await _mqtt.DisposeAsync();
        _store?.Dispose();
        if (_broker is not null) await _broker.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>Gives the agents of new bores and lanes their broker logins (and takes retired ones') when maintenance changes the sites.</summary>
internal sealed class BrokerSitesHook(MosquittoBroker broker, string dataDirectory, ILogger<BrokerSitesHook> log) : ISitesChangeHook
{
    public async Task SitesChangedAsync(SitesFile sites, CancellationToken ct)
    {
        await EmbeddedBroker.ReconfigureAsync(broker, dataDirectory, sites, ct);
        log.LogInformation("private broker reloaded: logins and ACL for {Agents} agents", EmbeddedBroker.AgentIds(sites).Count());
    }
}

/// <summary>The Prometheus text format, written by hand: prometheus-net is not obtainable here.</summary>
public static class Metrics
{
    public static string Render(CentralService service, AlarmTowers towers, TimeProvider clock)
    {
        var s = service.Snapshot;
        var sb = new StringBuilder();
        if (clock is SteadyClock steady)
            sb.AppendLine("# TYPE tunnel_clock_divergence_seconds gauge").AppendLine(FormattableString.Invariant($"tunnel_clock_divergence_seconds {steady.Divergence.TotalSeconds:0.000}"));
        sb.AppendLine("# TYPE tunnel_loop_errors_total counter").AppendLine($"tunnel_loop_errors_total {service.LoopErrors}");
        sb.AppendLine("# TYPE tunnel_store_write_errors_total counter").AppendLine($"tunnel_store_write_errors_total {service.StoreWriteErrors}");
        sb.AppendLine("# TYPE tunnel_store_backlog gauge").AppendLine($"tunnel_store_backlog {s.StoreBacklog}");
        sb.AppendLine("# TYPE tunnel_store_passages_dropped_total counter").AppendLine($"tunnel_store_passages_dropped_total {service.StorePassagesDropped}");
        sb.AppendLine("# TYPE tunnel_store_passages_recovered_total counter").AppendLine($"tunnel_store_passages_recovered_total {service.StorePassagesRecovered}");
        sb.AppendLine("# TYPE tunnel_store_dropped_ids_forgotten_total counter").AppendLine($"tunnel_store_dropped_ids_forgotten_total {service.StoreDroppedIdsForgotten}");
        sb.AppendLine("# TYPE tunnel_engine_errors_total counter").AppendLine($"tunnel_engine_errors_total {service.Ingest.EngineErrors}");
        sb.AppendLine("# TYPE tunnel_engine_timer_faults_total counter").AppendLine($"tunnel_engine_timer_faults_total {service.TimerFaults}");
        sb.AppendLine("# TYPE tunnel_passages_deferred_total counter").AppendLine($"tunnel_passages_deferred_total {service.Ingest.Deferred}");
        sb.AppendLine("# TYPE tunnel_store_failing gauge").AppendLine($"tunnel_store_failing {(service.StoreFailing ? 1 : 0)}");
        sb.AppendLine("# TYPE tunnel_dead_letter_payloads_dropped_total counter").AppendLine($"tunnel_dead_letter_payloads_dropped_total {service.DeadLetterPayloadsDropped}");
        sb.AppendLine("# TYPE tunnel_agent_seqs_no_longer_awaited_total counter").AppendLine($"tunnel_agent_seqs_no_longer_awaited_total {service.SeqsNoLongerAwaited}");
        sb.AppendLine("# TYPE tunnel_passages_accepted_total counter").AppendLine($"tunnel_passages_accepted_total {s.Accepted}");
        sb.AppendLine("# TYPE tunnel_passages_duplicate_total counter").AppendLine($"tunnel_passages_duplicate_total {s.Duplicates}");
        sb.AppendLine("# TYPE tunnel_passages_rejected_total counter");
        foreach (var (reason, n) in s.RejectedByReason) sb.AppendLine($"tunnel_passages_rejected_total{{reason=\"{reason}\"}} {n}");
        sb.AppendLine("# TYPE tunnel_bore_occupancy gauge");
        foreach (var b in s.Bores) sb.AppendLine($"tunnel_bore_occupancy{{site=\"{b.Bore.Site}\",bore=\"{b.Bore.Bore}\"}} {b.Occupancy}");
        sb.AppendLine("# TYPE tunnel_bore_congested gauge");
        foreach (var b in s.Bores) sb.AppendLine($"tunnel_bore_congested{{site=\"{b.Bore.Site}\",bore=\"{b.Bore.Bore}\"}} {(b.Congested ? 1 : 0)}");
        sb.AppendLine("# TYPE tunnel_alarms_open gauge");
        foreach (var g in s.OpenAlarms.GroupBy(a => (a.Kind, a.Priority)))
            sb.AppendLine($"tunnel_alarms_open{{kind=\"{TunnelJson.Name(g.Key.Kind)}\",priority=\"{TunnelJson.Name(g.Key.Priority)}\"}} {g.Count()}");
        var towerStatuses = towers.Statuses;
        if (towerStatuses.Count == 0) return sb.ToString();
        sb.AppendLine("# TYPE tunnel_alarm_tower_up gauge");
        foreach (var t in towerStatuses) sb.AppendLine($"tunnel_alarm_tower_up{{tower=\"{t.Id}\"}} {(t.Online ? 1 : 0)}");
        sb.AppendLine("# TYPE tunnel_alarm_tower_outputs_lit gauge");
        foreach (var t in towerStatuses) sb.AppendLine($"tunnel_alarm_tower_outputs_lit{{tower=\"{t.Id}\"}} {t.OutputsLit}");
        sb.AppendLine("# TYPE tunnel_alarm_tower_failures_total counter");
        foreach (var t in towerStatuses) sb.AppendLine($"tunnel_alarm_tower_failures_total{{tower=\"{t.Id}\"}} {t.Failures}");
        return sb.ToString();
    }
}
