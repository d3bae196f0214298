using System.Text;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.EndToEnd.Tests.Support;

/// <summary>An MQTT client of the test (an observer, or the base of an agent) that keeps what it receives.</summary>
public class MqttPeer : IAsyncDisposable
{
    private Task _pump = Task.CompletedTask;

    protected MqttPeer(MqttClient client) => Client = client;

    public MqttClient Client { get; }
    public Inbox<MqttMessage> Received { get; } = new();

    public static async Task<MqttPeer> ConnectAsync(string host, int port, string user, string password, params string[] filters)
    {
        var peer = new MqttPeer(NewClient(host, port, user, password, $"e2e-observer-{Guid.NewGuid():N}"));
        await peer.StartAsync(filters);
        return peer;
    }

    protected static MqttClient NewClient(string host, int port, string user, string password, string clientId, int maxInflight = 20) =>
        new(new MqttClientOptions { Host = host, Port = port, ClientId = clientId, Username = user, Password = password, MaxInflight = maxInflight });

    protected async Task StartAsync(string[] filters)
    {
        await Client.ConnectAsync();
        _pump = Task.Run(async () =>
        {
            await foreach (var m in Client.Messages.ReadAllAsync()) OnMessage(m);
        });
        foreach (var filter in filters) await Client.SubscribeAsync(filter, 1);
    }

    protected virtual void OnMessage(MqttMessage message) => Received.Add(message);

    /// <summary>The alarm transitions received, in arrival order (for an observer of tunnel/v1/{site}/alarms).</summary>
    public IReadOnlyList<AlarmTransition> Alarms() =>
        Received.Items.Where(m => m.Topic.EndsWith("/alarms", StringComparison.Ordinal))
            .Select(m => TunnelJson.Deserialize<AlarmTransition>(Encoding.UTF8.GetString(m.Payload))!).ToList();

    public Task<AlarmTransition> AlarmAsync(Func<AlarmTransition, bool> predicate, string what, TimeSpan? timeout = null) =>
        Received.FirstAsync(m => m.Topic.EndsWith("/alarms", StringComparison.Ordinal) && predicate(Parse(m)), what, timeout)
            .ContinueWith(t => Parse(t.Result), TaskScheduler.Default);

    private static AlarmTransition Parse(MqttMessage m) => TunnelJson.Deserialize<AlarmTransition>(Encoding.UTF8.GetString(m.Payload))!;

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _pump;
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// An edge agent as the central service sees one: its own broker user, its passages numbered from 1,
/// and the central service's end-to-end acknowledgements read from its ack topic.
/// </summary>
public sealed class TestAgent : MqttPeer
{
    private long _seq;

    private TestAgent(MqttClient client, string site, string bore, Portal portal, int lane) : base(client)
    {
        (Site, Bore, Portal, Lane) = (site, bore, portal, lane);
    }

    public string Site { get; }
    public string Bore { get; }
    public Portal Portal { get; }
    public int Lane { get; }
    public string AgentId => $"{Site}-{Bore}-{TunnelJson.Name(Portal)}-{Lane}";
    public string Topic => Topics.Passage(Site, Bore, Portal);
    public Inbox<AgentAck> Acks { get; } = new();
    public long LastAck => Acks.Items.Select(a => a.StoredThroughSeq).DefaultIfEmpty(0).Max();

    /// <summary>Connects as the agent's own user (the embedded broker's naming: site-bore-portal-lane) and subscribes to its acks.</summary>
    public static async Task<TestAgent> ConnectAsync(string host, int port, Func<string, string> passwordFor,
        string bore, Portal portal, int lane, string site = "maoliling", long nextSeq = 1)
    {
        var agentId = $"{site}-{bore}-{TunnelJson.Name(portal)}-{lane}";
        var agent = new TestAgent(NewClient(host, port, agentId, passwordFor(agentId), $"{agentId}-{Guid.NewGuid():N}"), site, bore, portal, lane)
        {
            _seq = nextSeq - 1,
        };
        await agent.StartAsync([Topics.AgentAck(site, agentId)]);
        return agent;
    }

    protected override void OnMessage(MqttMessage message)
    {
        base.OnMessage(message);
        if (message.Topic == Topics.AgentAck(Site, AgentId))
            Acks.Add(TunnelJson.Deserialize<AgentAck>(Encoding.UTF8.GetString(message.Payload))!);
    }

    /// <summary>The agent's next passage (seq counts up), not yet sent.</summary>
    public Passage Next(DateTimeOffset capturedAt, string? plate, VehicleClass cls = VehicleClass.Car, bool hazmat = false)
    {
        var seq = ++_seq;
        return new Passage
        {
            EventId = Guid.NewGuid(), AgentId = AgentId, Seq = seq, Site = Site, Bore = Bore, Portal = Portal, Lane = Lane,
            CameraId = $"cam-{Bore}-{TunnelJson.Name(Portal)}-{Lane}", CapturedAt = capturedAt,
            Plate = plate is null ? null : new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.97 },
            Vehicle = new VehicleRead { Class = cls, Confidence = 0.9, Hazmat = hazmat, HazmatConfidence = hazmat ? 0.95 : 0.02 },
        };
    }

    public Task PublishAsync(Passage passage, string? topic = null) =>
        Client.PublishAsync(topic ?? Topic, Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage)), 1);

    public async Task<Passage> SendAsync(DateTimeOffset capturedAt, string? plate, VehicleClass cls = VehicleClass.Car, bool hazmat = false)
    {
        var passage = Next(capturedAt, plate, cls, hazmat);
        await PublishAsync(passage);
        return passage;
    }

    public Task<AgentAck> AckAsync(long atLeast, TimeSpan? timeout = null) =>
        Acks.FirstAsync(a => a.StoredThroughSeq >= atLeast, $"{AgentId}: ack of seq {atLeast}", timeout);
}
