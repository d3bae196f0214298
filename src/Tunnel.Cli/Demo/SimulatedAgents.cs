using System.Diagnostics;
using System.Text;
using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Cli.Demo;

/// <summary>Where one simulated camera agent sits: one agent per portal lane, as the embedded broker's users are cut.</summary>
public sealed record AgentPlace(string Site, string Bore, Portal Portal, int Lane)
{
    public string AgentId => EmbeddedBroker.AgentId(Site, Bore, Portal, Lane);

    public static IReadOnlyList<AgentPlace> All(SitesFile sites) =>
        (from sb in sites.AllBores()
         from portal in new[] { Portal.Entry, Portal.Exit }
         from lane in Enumerable.Range(1, sb.Bore.Lanes)
         select new AgentPlace(sb.Site.Id, sb.Bore.Id, portal, lane)).ToList();
}

/// <summary>
/// A stand-in for the edge agent of one camera, in miniature: its own broker login, a retained
/// online heartbeat with a last will that says offline, a sequence number per passage, and an
/// outbox that keeps every passage until the central service acknowledges it as stored (a broker
/// can lose what it already accepted) and sends the unacknowledged ones again after a reconnect.
/// </summary>
public sealed class SimulatedAgent : IAsyncDisposable
{
    private const double CameraFps = 25;

    private readonly MqttClient _client;
    private readonly TimeProvider _clock;
    private readonly string _passageTopic;
    private readonly string _statusTopic;
    private readonly string _ackTopic;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, byte[]> _outbox = [];
    private TaskCompletionSource _drained = Completed();
    private long _seq;
    private long _storedThrough;
    // When the outbox last made progress (real time): unconfirmed for ResendUnconfirmedAfter, it all goes again.
    private long _progressAt = Stopwatch.GetTimestamp();
    private static readonly TimeSpan ResendUnconfirmedAfter = TimeSpan.FromSeconds(30);
    private long _published;
    private long _resent;
    private bool _connectedOnce;
    private Task _acks = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private int _disposed;

    private SimulatedAgent(AgentPlace place, MqttClient client, TimeProvider clock, long lastSeq)
    {
        Place = place;
        _client = client;
        _clock = clock;
        _seq = lastSeq;
        _storedThrough = lastSeq;
        _passageTopic = Topics.Passage(place.Site, place.Bore, place.Portal);
        _statusTopic = Topics.AgentStatus(place.Site, place.AgentId);
        _ackTopic = Topics.AgentAck(place.Site, place.AgentId);
    }

    public AgentPlace Place { get; }
    public string AgentId => Place.AgentId;
    public bool IsConnected => _client.IsConnected;
    /// <summary>
    /// Passages sent, each counted once as it goes into the outbox: not on the broker's acknowledgement, which can come after
    /// the central service has stored the passage (or never, when the agent stops first).
    /// </summary>
    public long Published { get { lock (_gate) return _published; } }
    /// <summary>Passages sent again because the central service had not confirmed them (after a reconnect, or a long silence).</summary>
    public long Resent { get { lock (_gate) return _resent; } }
    public int OutboxDepth { get { lock (_gate) return _outbox.Count; } }
    /// <summary>The sequence numbers sent and not yet confirmed by the central service.</summary>
    public IReadOnlyList<long> Unconfirmed { get { lock (_gate) return [.. _outbox.Keys]; } }
    /// <summary>
    /// Heartbeat period on the demo's clock, which the console reads ages by: at --speed 10 a heartbeat every 10 real
    /// seconds was 100 s old on that clock before the next, and maintenance saw agents go stale (past 90 s).
    /// </summary>
    public TimeSpan HeartbeatEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Logs in with the agent's own credentials and announces itself online. <paramref name="lastSeq"/> is
    /// where its sequence numbers continue: a real agent keeps its counter on disk.
    /// </summary>
    public static async Task<SimulatedAgent> ConnectAsync(AgentPlace place, string host, int port, string username, string password,
        long lastSeq, TimeProvider clock, CancellationToken ct)
    {
        var offline = new AgentStatus
        {
            AgentId = place.AgentId, Online = false, Site = place.Site, Bore = place.Bore, Portal = place.Portal, Lane = place.Lane,
            LastError = "connection lost (last will)",
        };
        var client = new MqttClient(new MqttClientOptions
        {
            Host = host, Port = port, ClientId = place.AgentId, Username = username, Password = password,
            Will = new MqttWill(Topics.AgentStatus(place.Site, place.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(offline)), Qos: 1, Retain: true),
        });
        var agent = new SimulatedAgent(place, client, clock, lastSeq);
        client.ConnectionChanged += agent.OnConnectionChanged;
        try
        {
            await client.ConnectAsync(ct);
            await client.SubscribeAsync(agent._ackTopic, 1, ct);
            agent._acks = Task.Run(() => agent.ReadAcksAsync(agent._stop.Token), CancellationToken.None);
            await agent.PublishStatusAsync(ct);
            agent._heartbeat = Task.Run(() => agent.HeartbeatLoopAsync(agent._stop.Token), CancellationToken.None);
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
        return agent;
    }

    /// <summary>
    /// The camera sees a vehicle: the agent stamps its own event id and the next sequence number, in
    /// capture order (delivery can be later, and out of order, like an outbox replayed after a hiccup).
    /// </summary>
    public Passage Capture(Passage seen)
    {
        lock (_gate)
        {
            var eventId = Guid.CreateVersion7(seen.CapturedAt);
            return seen with
            {
                EventId = eventId, AgentId = AgentId, Seq = ++_seq,
                Snapshot = Snapshots is null ? seen.Snapshot : Topics.SnapshotReference(eventId),
            };
        }
    }

    /// <summary>When set, each passage goes with a drawn picture, as a camera's snapshot would.</summary>
    public DemoSnapshots? Snapshots { get; set; }

    /// <summary>Keeps the passage in the outbox and publishes it (QoS 1); it leaves the outbox only when the central service confirms it.</summary>
    public void Send(Passage passage)
    {
        // The picture is best effort and goes first, so the console has it when the passage shows up.
        if (Snapshots is not null && passage.Snapshot is not null)
            _ = PublishSnapshotAsync(Topics.Snapshot(Place.Site, Place.Bore, Place.Portal, passage.EventId), Snapshots.Render(passage));
        var payload = Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage));
        lock (_gate)
        {
            if (passage.Seq <= _storedThrough) return;
            if (_outbox.Count == 0) _progressAt = Stopwatch.GetTimestamp();
            if (_outbox.TryAdd(passage.Seq, payload)) _published++;
            if (_drained.Task.IsCompleted) _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _ = PublishAsync(payload);
    }

    /// <summary>Completes when the central service has confirmed every passage sent so far.</summary>
    public Task WhenDrained(CancellationToken ct)
    {
        lock (_gate) return _drained.Task.WaitAsync(ct);
    }

    private async Task PublishAsync(byte[] payload)
    {
        try
        {
            await _client.PublishAsync(_passageTopic, payload, 1, retain: false, _stop.Token);
        }
        catch (Exception e) when (e is MqttException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // Nothing to do here: the passage stays in the outbox and goes out again after the next reconnect.
        }
    }

    private async Task PublishSnapshotAsync(string topic, byte[] jpeg)
    {
        try { await _client.PublishAsync(topic, jpeg, 1, retain: false, _stop.Token); }
        catch (Exception e) when (e is MqttException or ObjectDisposedException or InvalidOperationException or OperationCanceledException) { }
    }

    private void OnConnectionChanged(bool connected)
    {
        if (!connected) return;
        if (!_connectedOnce) { _connectedOnce = true; return; }
        // Back after an outage: the broker may have lost what it had accepted, so everything unconfirmed goes again
        // (duplicates are harmless, the central service recognises them by event id).
        ResendUnconfirmed(ifStalled: false);
        _ = PublishStatusAsync(_stop.Token);
    }

    /// <summary>
    /// Sends every unconfirmed passage again; with <paramref name="ifStalled"/>, only when nothing was confirmed for a while:
    /// a broker that crashed may come back before the central service has subscribed again, and what it took meanwhile went nowhere.
    /// </summary>
    private void ResendUnconfirmed(bool ifStalled)
    {
        List<byte[]> unconfirmed;
        lock (_gate)
        {
            if (ifStalled && (_outbox.Count == 0 || Stopwatch.GetElapsedTime(_progressAt) < ResendUnconfirmedAfter)) return;
            _progressAt = Stopwatch.GetTimestamp();
            unconfirmed = [.. _outbox.Values];
            _resent += unconfirmed.Count;
        }
        foreach (var payload in unconfirmed) _ = PublishAsync(payload);
    }

    private async Task ReadAcksAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var message in _client.Messages.ReadAllAsync(ct))
            {
                if (message.Topic != _ackTopic) continue;
                AgentAck? ack;
                try { ack = TunnelJson.Deserialize<AgentAck>(Encoding.UTF8.GetString(message.Payload)); }
                catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException) { continue; }
                if (ack is null || ack.AgentId != AgentId) continue;
                lock (_gate)
                {
                    if (ack.StoredThroughSeq > _storedThrough) _progressAt = Stopwatch.GetTimestamp();
                    _storedThrough = Math.Max(_storedThrough, ack.StoredThroughSeq);
                    while (_outbox.Count > 0 && _outbox.First().Key <= _storedThrough) _outbox.Remove(_outbox.First().Key);
                    if (_outbox.Count == 0) _drained.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(HeartbeatEvery, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                ResendUnconfirmed(ifStalled: true);
                await PublishStatusAsync(ct);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task PublishStatusAsync(CancellationToken ct)
    {
        var status = new AgentStatus
        {
            AgentId = AgentId, Online = true, Site = Place.Site, Bore = Place.Bore, Portal = Place.Portal, Lane = Place.Lane,
            Fps = CameraFps, QueueDepth = OutboxDepth, LastSeq = Volatile.Read(ref _seq), ClockOffsetMs = 0, At = _clock.GetUtcNow(),
        };
        try
        {
            await _client.PublishAsync(_statusTopic, Encoding.UTF8.GetBytes(TunnelJson.Serialize(status)), 1, retain: true, ct);
        }
        catch (Exception e) when (e is MqttException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The next heartbeat tries again.
        }
    }

    /// <summary>
    /// Disconnects cleanly: no last will, so the retained status stays "online" as the last heartbeat left it. Its counts and
    /// what it left unconfirmed stay readable; a second call does nothing (the demo stops its agents before the service).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        await _client.DisposeAsync();
        await Task.WhenAll(_acks, _heartbeat);
        _stop.Dispose();
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }
}

/// <summary>All the simulated agents of a sites file, one per portal lane, each logged in as itself.</summary>
public sealed class SimulatedAgents : IAsyncDisposable
{
    private readonly Dictionary<string, SimulatedAgent> _byId;

    private SimulatedAgents(IReadOnlyList<SimulatedAgent> agents)
    {
        All = agents;
        _byId = agents.ToDictionary(a => a.AgentId);
    }

    public IReadOnlyList<SimulatedAgent> All { get; }
    public SimulatedAgent this[string agentId] => _byId[agentId];
    public long Published => All.Sum(a => a.Published);
    public long Resent => All.Sum(a => a.Resent);
    public int OutboxDepth => All.Sum(a => a.OutboxDepth);
    public int Connected => All.Count(a => a.IsConnected);

    /// <summary>
    /// Connects one agent per portal lane of the host's sites with the credentials the embedded broker
    /// generated for it (with an external broker, the configured account stands in for all of them).
    /// </summary>
    public static async Task<SimulatedAgents> ConnectAsync(CentralHost host, TimeProvider clock, CancellationToken ct)
    {
        var agents = new List<SimulatedAgent>();
        try
        {
            foreach (var place in AgentPlace.All(host.Sites))
            {
                var (user, password) = host.Credentials is { } credentials
                    ? (place.AgentId, credentials.For(place.AgentId))
                    : (host.Settings.Broker.Username, host.Settings.Broker.Password ?? "");
                // The demo agent keeps no disk of its own: it continues after the highest sequence number the
                // central service has stored for it, as a real agent continues from its persisted counter.
                var lastSeq = host.Store.Progress(place.AgentId).Highest;
                agents.Add(await SimulatedAgent.ConnectAsync(place, host.BrokerHost, host.BrokerPort, user, password, lastSeq, clock, ct));
            }
        }
        catch
        {
            foreach (var a in agents) await a.DisposeAsync();
            throw;
        }
        return new SimulatedAgents(agents);
    }

    public Task WhenDrained(CancellationToken ct) => Task.WhenAll(All.Select(a => a.WhenDrained(ct)));

    /// <summary>Disconnects every agent: nothing more is sent, and their counts and outboxes stay as they are.</summary>
    public Task StopAsync() => Task.WhenAll(All.Select(a => a.DisposeAsync().AsTask()));

    private DemoSnapshots? _snapshots;

    /// <summary>From now on every agent sends a drawn picture with each passage; the pictures' font is released with the agents.</summary>
    public void SendSnapshots(DemoSnapshots snapshots)
    {
        _snapshots = snapshots;
        foreach (var a in All) a.Snapshots = snapshots;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _snapshots?.Dispose();
    }
}
