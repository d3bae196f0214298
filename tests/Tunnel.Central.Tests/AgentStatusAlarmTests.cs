using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Overdue;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

/// <summary>
/// An agent's retained status drives its agent-offline alarm: lost (its last will) calls for someone,
/// stopped on purpose only tells the operators the portal is blind. Real service, private mosquitto, SQLite.
/// </summary>
public sealed class AgentStatusAlarmTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-agent-status-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly BlockingCollection<AlarmTransition> _alarms = new();
    private MosquittoBroker _broker = null!;
    private TunnelStore _store = null!;
    private MqttClient _central = null!;
    private MqttClient _agent = null!;
    private CentralService _service = null!;
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { ["central"] = "central-secret", ["agent"] = "agent-secret" },
        });
        _store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(_dir));
        _central = await Connect("tunnel-central", "central", "central-secret");
        _agent = await Connect("maoliling-north-exit-1", "agent", "agent-secret");
        _service = new CentralService(SitesFile.Maoliling, _store, _central, new DetectorSettings(), TimeProvider.System,
            NullLogger<CentralService>.Instance);
        _service.AlarmChanged += _alarms.Add;
        _running = _service.RunAsync(_stop.Token);
        await _service.Ready.WaitAsync(Deadline);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        await _agent.DisposeAsync();
        await _central.DisposeAsync();
        _store.Dispose();
        await _broker.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<MqttClient> Connect(string clientId, string user, string password)
    {
        var client = new MqttClient(new MqttClientOptions { Host = _broker.Host, Port = _broker.Port, ClientId = clientId, Username = user, Password = password });
        await client.ConnectAsync().WaitAsync(Deadline);
        return client;
    }

    private Task Send(string agentId, bool online, string? lastError = null, bool? stopped = null) =>
        _agent.PublishAsync(Topics.AgentStatus("maoliling", agentId),
            Encoding.UTF8.GetBytes(TunnelJson.Serialize(new AgentStatus
            {
                AgentId = agentId, Online = online, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1,
                LastError = lastError, Stopped = stopped,
            })), qos: 1, retain: true).WaitAsync(Deadline);

    private AlarmTransition Next()
    {
        Assert.True(_alarms.TryTake(out var alarm, Deadline), $"no alarm transition within {Deadline.TotalSeconds:0} s");
        return alarm;
    }

    [Fact]
    public async Task A_lost_agent_raises_a_medium_alarm_that_clears_when_it_is_back()
    {
        await Send("maoliling-north-exit-1", online: false, lastError: "connection lost (last will)");
        var raised = Next();
        Assert.Equal((AlarmKind.AgentOffline, AlarmState.ActiveUnacknowledged, AlarmPriority.Medium), (raised.Kind, raised.State, raised.Priority));
        Assert.Equal("agent maoliling-north-exit-1 offline: connection lost (last will)", raised.Reason);

        await Send("maoliling-north-exit-1", online: true);
        var cleared = Next();
        Assert.Equal((raised.AlarmId, AlarmState.ClearedUnacknowledged), (cleared.AlarmId, cleared.State));
    }

    [Fact]
    public async Task An_agent_stopped_on_purpose_raises_a_low_alarm_that_says_so()
    {
        await Send("maoliling-north-exit-1", online: false, lastError: "stopped", stopped: true);
        var raised = Next();
        Assert.Equal((AlarmKind.AgentOffline, AlarmPriority.Low), (raised.Kind, raised.Priority));
        Assert.Equal("agent maoliling-north-exit-1 stopped", raised.Reason);
        Assert.Equal("maoliling-north-exit-1", raised.AgentId);
    }
}
