using System.Collections.Concurrent;
using System.Text;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Agent.Tests.Link;

/// <summary>
/// The central service's side of the agent contract, and no more: takes passages and snapshots,
/// and acknowledges (retained) the highest sequence number below which it holds every one, after
/// each passage and each status of an agent online.
/// The whole central service is exercised in Tunnel.EndToEnd.Tests.
/// </summary>
internal sealed class TestCentral : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly SortedSet<long> _seqs = [];
    private readonly List<(long Count, TaskCompletionSource Done)> _waiters = [];
    private Task _loop = Task.CompletedTask;
    private long _storedThrough;

    private TestCentral(MqttClient client) => _client = client;

    public ConcurrentDictionary<Guid, Passage> Passages { get; } = new();
    public ConcurrentDictionary<Guid, byte[]> Snapshots { get; } = new();
    public int Deliveries;

    public static async Task<TestCentral> StartAsync(MosquittoBroker broker, string password)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Host = broker.Host, Port = broker.Port, ClientId = "test-central", Username = "central", Password = password,
            CleanStart = false, SessionExpirySeconds = 3600,
        });
        await client.ConnectAsync();
        await client.SubscribeAsync(Topics.AllPassages);
        await client.SubscribeAsync(Topics.AllSnapshots);
        await client.SubscribeAsync(Topics.AllAgentStatus);
        var central = new TestCentral(client);
        central._loop = Task.Run(() => central.RunAsync(central._stop.Token));
        return central;
    }

    /// <summary>Completes once every sequence number 1..<paramref name="count"/> has arrived.</summary>
    public Task WhenHolding(long count)
    {
        lock (_gate)
        {
            if (_storedThrough >= count) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var m in _client.Messages.ReadAllAsync(ct))
            {
                if (Topics.IsSnapshot(m.Topic, out var snapshot)) { Snapshots[snapshot.EventId] = m.Payload; continue; }
                if (Topics.IsAgentStatus(m.Topic, out var site, out var agentId))
                {
                    if (TunnelJson.Deserialize<AgentStatus>(Encoding.UTF8.GetString(m.Payload)) is { Online: true })
                    {
                        long held;
                        lock (_gate) held = _storedThrough;
                        await AcknowledgeAsync(site, agentId, held, ct);
                    }
                    continue;
                }
                var passage = TunnelJson.Deserialize<Passage>(Encoding.UTF8.GetString(m.Payload))!;
                Interlocked.Increment(ref Deliveries);
                Passages.TryAdd(passage.EventId, passage);
                long through;
                lock (_gate)
                {
                    _seqs.Add(passage.Seq);
                    while (_seqs.Contains(_storedThrough + 1)) _storedThrough++;
                    through = _storedThrough;
                    foreach (var w in _waiters.Where(w => w.Count <= through).ToList()) { w.Done.TrySetResult(); _waiters.Remove(w); }
                }
                await AcknowledgeAsync(passage.Site, passage.AgentId, through, ct);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task AcknowledgeAsync(string site, string agentId, long through, CancellationToken ct)
    {
        var ack = new AgentAck { AgentId = agentId, StoredThroughSeq = through, At = DateTimeOffset.UtcNow };
        try { await _client.PublishAsync(Topics.AgentAck(site, agentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(ack)), 1, true, ct); }
        catch (MqttException) { /* the next passage or status acknowledges again */ }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        await _client.DisposeAsync();
    }
}
