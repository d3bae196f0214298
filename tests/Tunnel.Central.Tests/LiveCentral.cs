using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Overdue;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

/// <summary>The real central service running on a private mosquitto and a SQLite store, with one agent's MQTT client beside it.</summary>
internal sealed class LiveCentral : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-live-central-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    private LiveCentral() { }

    /// <summary>Where the store's SQLite file (<c>tunnel.db</c>) lives.</summary>
    public string DataDirectory => _dir;
    public MosquittoBroker Broker { get; private set; } = null!;
    public TunnelStore Store { get; private set; } = null!;
    public BrokerConnection CentralClient { get; private set; } = null!;
    public MqttClient Agent { get; private set; } = null!;
    public CentralService Service { get; private set; } = null!;
    /// <summary>Where the service keeps the agents' snapshots; null unless asked for (the service then takes none).</summary>
    public SnapshotStore? Snapshots { get; private set; }

    /// <summary>
    /// Starts everything; <paramref name="watch"/> attaches to the service before it runs, and <paramref name="beforeService"/> runs once the
    /// broker, the store and the clients are up and before the service is made (to seed the store, or subscribe the agent's client).
    /// </summary>
    /// <param name="agentOfflineDelay">At once unless given.</param>
    /// <param name="acl">The broker's access rules for the users <c>central</c> and <c>agent</c>; none: everyone everywhere.</param>
    /// <param name="storeBusySeconds">How long a store statement waits for another writer's lock (SQLite's default 30 s unless given).</param>
    /// <param name="log">Where the service logs; nowhere unless given.</param>
    /// <param name="snapshots">Whether the service takes the agents' snapshots (into <see cref="Snapshots"/>).</param>
    public static async Task<LiveCentral> StartAsync(string agentId, Action<CentralService> watch, TimeProvider? clock = null,
        Func<LiveCentral, Task>? beforeService = null, TimeSpan? agentOfflineDelay = null, IReadOnlyList<MosquittoAclRule>? acl = null,
        int? storeBusySeconds = null, ILogger<CentralService>? log = null, bool snapshots = false)
    {
        var live = new LiveCentral();
        live.Broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { ["central"] = "central-secret", ["agent"] = "agent-secret" },
            Acl = acl ?? [],
        });
        var store = StoreOptions.SqliteInDataDirectory(live._dir);
        if (storeBusySeconds is { } busy)
            store = store with { ConnectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(store.ConnectionString) { DefaultTimeout = busy }.ToString() };
        live.Store = TunnelStore.Open(store);
        live.CentralClient = new BrokerConnection(live.Options("tunnel-central", "central", "central-secret"), NullLogger.Instance);
        await live.CentralClient.ConnectAsync().WaitAsync(Deadline);
        live.Agent = await live.Connect(agentId, "agent", "agent-secret");
        if (beforeService is not null) await beforeService(live);
        if (snapshots) live.Snapshots = SnapshotStore.InDataDirectory(live._dir, clock ?? TimeProvider.System);
        live.Service = new CentralService(SitesFile.Maoliling, live.Store, live.CentralClient, new DetectorSettings(), clock ?? TimeProvider.System,
            log ?? NullLogger<CentralService>.Instance, snapshots: live.Snapshots)
        {
            AgentOfflineDelay = agentOfflineDelay ?? TimeSpan.Zero,
        };
        watch(live.Service);
        live._running = live.Service.RunAsync(live._stop.Token);
        await live.Service.Ready.WaitAsync(Deadline);
        return live;
    }

    private async Task<MqttClient> Connect(string clientId, string user, string password)
    {
        var client = new MqttClient(Options(clientId, user, password));
        await client.ConnectAsync().WaitAsync(Deadline);
        return client;
    }

    private MqttClientOptions Options(string clientId, string user, string password) => new()
    {
        Host = Broker.Host, Port = Broker.Port, ClientId = clientId, Username = user, Password = password,
        CleanStart = false, SessionExpirySeconds = 3600,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        await Agent.DisposeAsync();
        await CentralClient.DisposeAsync();
        Store.Dispose();
        await Broker.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
