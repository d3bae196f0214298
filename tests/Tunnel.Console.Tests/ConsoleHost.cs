using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Overdue;
using Tunnel.Central.Service;
using Tunnel.Central.Towers;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Storage;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The console as `tunnel central` will host it, in miniature: a private mosquitto, a real SQLite
/// store in a temporary directory, a running CentralService, and a WebApplication built with
/// AddTunnelConsole/MapTunnelConsole, on the in-process test server or on Kestrel (for the browser).
/// </summary>
public sealed class ConsoleHost : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);
    public const string AdminPassword = "admin-password-for-tests";
    public const string Password = "password-for-tests";
    public const string Site = "maoliling";
    private const string CentralUser = "central", AgentUser = "agent", BrokerPassword = "broker-secret";

    private readonly CancellationTokenSource _stop = new();
    private MosquittoBroker _broker = null!;
    private BrokerConnection _central = null!;
    private MqttClient _agent = null!;
    private Task _loop = Task.CompletedTask;
    private long _seq;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "tunnel-console-tests-" + Guid.NewGuid().ToString("N"));
    public TunnelStore Store { get; private set; } = null!;
    public SnapshotStore Snapshots { get; private set; } = null!;
    public CentralService Service { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public List<string> LogLines { get; } = [];
    /// <summary>Every sites file the console handed to its hooks, as the host's broker hook would get it.</summary>
    public List<SitesFile> SitesChanges { get; } = [];

    /// <summary>
    /// With <paramref name="towers"/>, the alarm towers the host drives (the console's maintenance page shows them); with
    /// <paramref name="behindProxy"/>, the console believes the X-Forwarded-* headers of the test's requests.
    /// </summary>
    public static async Task<ConsoleHost> StartAsync(bool kestrel, IReadOnlyList<AlarmTowerSettings>? towers = null, bool behindProxy = false)
    {
        var host = new ConsoleHost();
        await host.StartCoreAsync(kestrel, towers, behindProxy);
        return host;
    }

    public AlarmTowers? Towers { get; private set; }
    private bool _kestrel, _behindProxy;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<HttpClient, System.Net.CookieContainer> _jars = [];

    private async Task StartCoreAsync(bool kestrel, IReadOnlyList<AlarmTowerSettings>? towers, bool behindProxy)
    {
        Directory.CreateDirectory(DataDirectory);
        _broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { [CentralUser] = BrokerPassword, [AgentUser] = BrokerPassword },
        });
        Store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(DataDirectory));
        _central = new BrokerConnection(Client("console-test-central", CentralUser), NullLogger.Instance);
        await _central.ConnectAsync().WaitAsync(WaitLimit);
        _agent = new MqttClient(Client("console-test-agent", AgentUser));
        await _agent.ConnectAsync().WaitAsync(WaitLimit);

        Snapshots = SnapshotStore.InDataDirectory(DataDirectory, TimeProvider.System);
        Service = new CentralService(SitesFile.Maoliling, Store, _central, new DetectorSettings(), TimeProvider.System, NullLogger<CentralService>.Instance,
            snapshots: Snapshots);
        _loop = Task.Run(() => Service.RunAsync(_stop.Token));
        await Task.WhenAny(Service.Ready, _loop).Unwrap().WaitAsync(WaitLimit);

        _kestrel = kestrel;
        _behindProxy = behindProxy;
        if (towers is not null)
        {
            Towers = new AlarmTowers(towers, Service, TimeProvider.System, NullLoggerFactory.Instance);
            Towers.Start();
        }
        await StartConsoleAsync();

        var users = App.Services.GetRequiredService<UserDirectory>();
        users.Create("op", Password, [Roles.Operator], displayName: "值班员 张");
        users.Create("maint", Password, [Roles.Maintenance]);
        users.Create("boss", Password, [Roles.Manager]);
        users.Create("boss-plates", Password, [Roles.Manager], [Roles.PlatesClaim]);
    }

    /// <summary>
    /// Stops the console and starts it again over the same data directory and store, as a restart of the service does:
    /// whatever it kept in memory is gone, what it kept in the store and its keys on disk are not.
    /// </summary>
    public async Task RestartConsoleAsync()
    {
        await App.DisposeAsync();
        await StartConsoleAsync();
    }

    private async Task StartConsoleAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tunnel:DataDirectory"] = DataDirectory,
            ["Tunnel:Console:AdminPassword"] = AdminPassword,
            // Every test of a class logs in from the same address, many times a minute.
            ["Tunnel:Console:LoginAttemptsPerMinute"] = "1000",
            ["Tunnel:Console:BehindProxy"] = _behindProxy ? "true" : "false",
        });
        if (_kestrel) builder.WebHost.UseUrls("http://127.0.0.1:0");
        else builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders().AddProvider(new ListLoggerProvider(LogLines));
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(Snapshots);
        builder.Services.AddSingleton<ISitesChangeHook>(new RecordingHook(SitesChanges));
        if (Towers is not null) builder.Services.AddSingleton(Towers);
        builder.Services.AddTunnelConsole(builder.Configuration, Service, Store);
        App = builder.Build();
        App.MapOpenApi();
        App.MapTunnelConsole();
        await App.StartAsync();
        BaseAddress = _kestrel
            ? new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First())
            : new Uri("http://localhost");
    }

    private MqttClientOptions Client(string id, string user) => new()
    {
        Host = _broker.Host, Port = _broker.Port, ClientId = id, Username = user, Password = BrokerPassword,
    };

    /// <summary>A client with its own cookie jar, like one browser.</summary>
    public HttpClient CreateClient()
    {
        var jar = new CookieContainerHandler { InnerHandler = Transport() };
        var client = new HttpClient(jar) { BaseAddress = BaseAddress };
        _jars.Add(client, jar.Container);
        return client;
    }

    /// <summary>A client without a jar that sends <paramref name="cookieHeader"/> with every request, as one who copied the cookies would.</summary>
    public HttpClient CreateClient(string cookieHeader)
    {
        var client = new HttpClient(Transport()) { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add("Cookie", cookieHeader);
        return client;
    }

    /// <summary>The Cookie header <paramref name="client"/> (made by <see cref="CreateClient()"/>) sends now: its session, to copy.</summary>
    public string CookieHeader(HttpClient client) => _jars.TryGetValue(client, out var jar) ? jar.GetCookieHeader(BaseAddress) : "";

    private HttpMessageHandler Transport() =>
        App.Services.GetRequiredService<IServer>() is TestServer test ? test.CreateHandler() : new HttpClientHandler { UseCookies = false };

    /// <summary>A logged-in client whose every request carries the anti-forgery header.</summary>
    public async Task<HttpClient> LoginAsync(string user, string? password = null)
    {
        var client = CreateClient();
        await UseAntiforgeryAsync(client);
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(user, password ?? Password));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        // The token is bound to the user: take a new one for the session.
        await UseAntiforgeryAsync(client);
        return client;
    }

    public static async Task UseAntiforgeryAsync(HttpClient client)
    {
        var token = await client.GetFromJsonAsync<AntiforgeryToken>("/api/v1/auth/antiforgery");
        client.DefaultRequestHeaders.Remove(token!.HeaderName);
        client.DefaultRequestHeaders.Add(token.HeaderName, token.Token);
    }

    /// <summary>Publishes one passage as an edge agent of the north bore would, captured <paramref name="ago"/> before now.</summary>
    public async Task<Passage> PublishAsync(string? plate, Portal portal = Portal.Entry, TimeSpan ago = default, int lane = 1,
        VehicleClass cls = VehicleClass.Truck, bool hazmat = false, string bore = "north", byte[]? snapshot = null)
    {
        var agent = $"{Site}-{bore}-{TunnelJson.Name(portal)}-{lane}";
        var eventId = Guid.NewGuid();
        // As the edge agent does: the JPEG first, then the passage that names it.
        if (snapshot is not null) await _agent.PublishAsync(Topics.Snapshot(Site, bore, portal, eventId), snapshot, 1).WaitAsync(WaitLimit);
        var passage = new Passage
        {
            Snapshot = snapshot is null ? null : Topics.SnapshotReference(eventId),
            EventId = eventId, AgentId = agent, Seq = Interlocked.Increment(ref _seq), Site = Site, Bore = bore, Portal = portal,
            Lane = lane, CameraId = "cam-" + agent, CapturedAt = DateTimeOffset.UtcNow - ago,
            Plate = plate is null ? null : new PlateRead { Text = plate, Color = PlateColor.Yellow, Confidence = 0.97 },
            Vehicle = new VehicleRead { Class = cls, Confidence = 0.9, Hazmat = hazmat, HazmatConfidence = hazmat ? 0.9 : 0.01 },
        };
        await PublishRawAsync(Topics.Passage(Site, bore, portal), TunnelJson.Serialize(passage));
        return passage;
    }

    /// <summary>A real 96x48 JPEG (a yellow plate-coloured box) that browsers decode.</summary>
    public static readonly byte[] Jpeg = Convert.FromBase64String(
        "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABNAAEBAAAAAAAAAAAAAAAAAAAABgEBAQEAAAAAAAAAAAAAAAAAAAYHEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAMABgAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AvQGKqkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB/9k=");

    public Task PublishRawAsync(string topic, string payload) =>
        _agent.PublishAsync(topic, Encoding.UTF8.GetBytes(payload), 1).WaitAsync(WaitLimit);

    /// <summary>Completes with the first alarm transition that satisfies <paramref name="match"/>, raised from now on.</summary>
    public Task<AlarmTransition> NextAlarmAsync(Func<AlarmTransition, bool> match)
    {
        var seen = new TaskCompletionSource<AlarmTransition>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(AlarmTransition t)
        {
            if (!match(t)) return;
            Service.AlarmChanged -= Handler;
            seen.TrySetResult(t);
        }
        Service.AlarmChanged += Handler;
        return seen.Task.WaitAsync(WaitLimit);
    }

    /// <summary>An overdue alarm as the detector raises one (high, active, its vehicle inside 10 minutes), for tests about what follows it.</summary>
    public static AlarmTransition Overdue(string? plate, DateTimeOffset now, string bore = "north", int lane = 1) => new()
    {
        AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
        Site = Site, Bore = bore, Plate = plate, At = now, EnteredAt = now.AddMinutes(-10), Lane = lane,
    };

    /// <summary>Raises the alarm <paramref name="alarm"/> makes on the loop's clock, on the engine itself; its id.</summary>
    public Task<Guid> RaiseAsync(Func<DateTimeOffset, AlarmTransition> alarm) => Service.Post((engine, now) => engine.Alarms.Raise(alarm(now)).Id);

    /// <summary>
    /// Waits for a state the service reaches on its own loop (a vehicle in the snapshot): re-checks
    /// on every loop turn it can observe, up to <see cref="WaitLimit"/>.
    /// </summary>
    public async Task<T> UntilAsync<T>(Func<CentralSnapshot, T?> probe) where T : class
    {
        var deadline = DateTimeOffset.UtcNow + WaitLimit;
        while (true)
        {
            if (probe(Service.Snapshot) is { } found) return found;
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException("the snapshot never showed what the test waited for");
            // A command runs on the loop between two snapshots: one round trip per loop turn.
            await Service.Post((_, _) => 0);
            await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (App is not null) await App.DisposeAsync();
        if (Towers is not null) await Towers.DisposeAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        if (_agent is not null) await _agent.DisposeAsync();
        if (_central is not null) await _central.DisposeAsync();
        Store?.Dispose();
        if (_broker is not null) await _broker.DisposeAsync();
        _stop.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

internal sealed class RecordingHook(List<SitesFile> changes) : ISitesChangeHook
{
    public Task SitesChangedAsync(SitesFile sites, CancellationToken ct)
    {
        lock (changes) changes.Add(sites);
        return Task.CompletedTask;
    }
}

internal sealed class ListLoggerProvider(List<string> lines) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ListLogger(lines);
    public void Dispose() { }

    private sealed class ListLogger(List<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines) lines.Add(formatter(state, exception));
        }
    }
}
