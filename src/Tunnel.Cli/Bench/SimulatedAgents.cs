using System.Diagnostics;
using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Cli.Bench;

/// <summary>What the simulated agents send, on which broker, as which users: everything the process that sends needs.</summary>
/// <param name="Rate">Passages per second; passage i is due at start + i/Rate.</param>
/// <param name="Drain">How long to wait after the last send for the acknowledgements still due.</param>
/// <param name="Passwords">Broker password per agent id (the agent id is its broker user).</param>
public sealed record AgentsPlan(string BrokerHost, int BrokerPort, string Site, double Rate, TimeSpan Drain,
    Dictionary<string, string> Passwords, Passage[] Passages);

/// <summary>
/// The agents' side of a run, per planned passage (same index as <see cref="AgentsPlan.Passages"/>):
/// <see cref="Stopwatch"/> timestamps, 0 where it never happened.
/// </summary>
/// <param name="Frequency">The sender's <see cref="Stopwatch.Frequency"/>: its timestamps join the service's only when both agree.</param>
/// <param name="AckedAt">When the first end-to-end ack covering the passage arrived.</param>
public sealed record AgentsTimings(long Frequency, long[] SentAt, long[] PubackAt, long[] AckedAt, int PubacksMissing)
{
    public int Unacknowledged => AckedAt.Count(t => t == 0);
}

/// <summary>The agents of a latency run, wherever they run: beside the service or in a process of their own.</summary>
public interface IAgentLoad : IAsyncDisposable
{
    /// <summary>Starts sending the plan on its schedule from <paramref name="start"/> (Stopwatch ticks); completes with the instant the last passage went out.</summary>
    Task<long> SendAsync(long start, CancellationToken ct);

    /// <summary>After <see cref="SendAsync"/>: waits for the acknowledgements (at most the plan's drain) and PUBACKs, and hands back the timings.</summary>
    Task<AgentsTimings> SettleAsync(CancellationToken ct);
}

/// <summary>
/// The simulated edge agents: one MQTT client per agent with its own broker user, a sender thread
/// keeping the schedule, and each agent's ack reader. Payloads are serialised before the start, so
/// the schedule is kept by sends alone.
/// </summary>
public sealed class SimulatedAgents : IAgentLoad
{
    private readonly AgentsPlan _plan;
    private readonly Agent[] _agentOf;
    private readonly List<Agent> _agents;
    private readonly (string Topic, byte[] Payload)[] _messages;
    private readonly long[] _sentAt;
    private readonly long[] _pubackAt;
    private readonly long[] _ackedAt;

    private SimulatedAgents(AgentsPlan plan)
    {
        _plan = plan;
        var n = plan.Passages.Length;
        (_sentAt, _pubackAt, _ackedAt) = (new long[n], new long[n], new long[n]);
        _agents = plan.Passages.Select(p => p.AgentId).Distinct().Order(StringComparer.Ordinal)
            .Select(id => new Agent(this, id, plan.Passages.Count(p => p.AgentId == id))).ToList();
        var byId = _agents.ToDictionary(a => a.Id);
        _agentOf = plan.Passages.Select(p => byId[p.AgentId]).ToArray();
        for (var i = 0; i < n; i++) _agentOf[i].IndexOfSeq[plan.Passages[i].Seq] = i;
        _messages = plan.Passages.Select(p => (Topics.Passage(p.Site, p.Bore, p.Portal), JsonSerializer.SerializeToUtf8Bytes(p, TunnelJson.Options))).ToArray();
    }

    /// <summary>Connects every agent and subscribes it to its ack topic; nothing is sent yet.</summary>
    public static async Task<SimulatedAgents> ConnectAsync(AgentsPlan plan, CancellationToken ct)
    {
        var agents = new SimulatedAgents(plan);
        try
        {
            foreach (var a in agents._agents) await a.StartAsync(ct);
        }
        catch
        {
            await agents.DisposeAsync();
            throw;
        }
        return agents;
    }

    public Task<long> SendAsync(long start, CancellationToken ct)
    {
        var sent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // One thread keeping the schedule, waking every millisecond and sending what fell due.
        var sender = new Thread(() =>
        {
            try
            {
                var ticksPerPassage = Stopwatch.Frequency / _plan.Rate;
                for (var i = 0; i < _messages.Length; i++)
                {
                    var due = start + (long)(i * ticksPerPassage);
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        ct.ThrowIfCancellationRequested();
                        Thread.Sleep(1);
                    }
                    _agentOf[i].Send(i, _messages[i]);
                }
                sent.TrySetResult(Stopwatch.GetTimestamp());
            }
            catch (Exception e) { sent.TrySetException(e); }
        }) { Name = "bench-sender", IsBackground = true };
        sender.Start();
        return sent.Task;
    }

    public async Task<AgentsTimings> SettleAsync(CancellationToken ct)
    {
        var drainUntil = Stopwatch.GetTimestamp() + (long)(_plan.Drain.TotalSeconds * Stopwatch.Frequency);
        while (_agents.Any(a => !a.AllAcknowledged) && Stopwatch.GetTimestamp() < drainUntil) await Task.Delay(20, ct);
        await Task.WhenAll(_agents.Select(a => a.PublishesSettledAsync()));
        return new AgentsTimings(Stopwatch.Frequency, _sentAt, _pubackAt, _ackedAt, _agents.Sum(a => a.PubacksMissing));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var a in _agents) await a.DisposeAsync();
    }

    /// <summary>One edge agent: its own broker user, its publishes, and the acks the service sends it.</summary>
    private sealed class Agent(SimulatedAgents load, string id, int planned) : IAsyncDisposable
    {
        // Publishes answered by the broker, accepted or refused; all of them completes _allSettled.
        private long _settled;
        private readonly TaskCompletionSource _allSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly MqttClient _client = new(new MqttClientOptions
        {
            Host = load._plan.BrokerHost, Port = load._plan.BrokerPort, ClientId = $"bench-{id}", Username = id,
            Password = load._plan.Passwords[id],
        });
        private Task? _reader;
        private long _sent;
        private long _acknowledged;

        public string Id { get; } = id;
        /// <summary>The plan index of each of this agent's sequence numbers (1-based; index 0 unused).</summary>
        public int[] IndexOfSeq { get; } = new int[planned + 1];
        public bool AllAcknowledged => Interlocked.Read(ref _acknowledged) >= planned;

        public async Task StartAsync(CancellationToken ct)
        {
            await _client.ConnectAsync(ct);
            await _client.SubscribeAsync(Topics.AgentAck(load._plan.Site, Id), 1, ct);
            _reader = Task.Run(ReadAcksAsync, CancellationToken.None);
        }

        /// <summary>
        /// Called on the sender thread only. The PUBACK's time is taken on the client's network thread: an
        /// awaited publish woke a thread-pool thread for every PUBACK, and these agents, standing for cameras
        /// on other machines, then took CPU from the service and the broker that real agents would not.
        /// </summary>
        public void Send(int index, (string Topic, byte[] Payload) message)
        {
            Volatile.Write(ref load._sentAt[index], Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _sent);
            _client.Publish(message.Topic, message.Payload, 1, retain: false,
                failed: _ => Settle(),
                acknowledged: () =>
                {
                    load._pubackAt[index] = Stopwatch.GetTimestamp();
                    Settle();
                });
        }

        private void Settle()
        {
            if (Interlocked.Increment(ref _settled) == planned) _allSettled.TrySetResult();
        }

        private async Task ReadAcksAsync()
        {
            long resolved = 0;
            await foreach (var m in _client.Messages.ReadAllAsync())
            {
                var now = Stopwatch.GetTimestamp();
                AgentAck? ack;
                try { ack = TunnelJson.Deserialize<AgentAck>(System.Text.Encoding.UTF8.GetString(m.Payload)); }
                catch (JsonException) { continue; }
                if (ack is null) continue;
                var through = Math.Min(ack.StoredThroughSeq, Interlocked.Read(ref _sent));
                for (var s = resolved + 1; s <= through; s++) load._ackedAt[IndexOfSeq[s]] = now;
                if (through > resolved)
                {
                    resolved = through;
                    Interlocked.Exchange(ref _acknowledged, resolved);
                }
            }
        }

        /// <summary>Waits a while for outstanding PUBACKs; a broker that fell far behind is reported, not waited for.</summary>
        public async Task PublishesSettledAsync()
        {
            // Cancelled before sending all (or nothing planned): the count can never be reached.
            if (planned == 0 || Interlocked.Read(ref _sent) < planned) return;
            try { await _allSettled.Task.WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (TimeoutException) { }
        }

        public int PubacksMissing => (int)(Interlocked.Read(ref _sent) - Interlocked.Read(ref _settled));

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            if (_reader is not null) await _reader;
        }
    }
}
