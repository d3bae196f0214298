using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Cli.Bench;

public sealed record LatencyBenchOptions
{
    public double Rate { get; init; } = 2000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Passages sent in this first stretch are sent but not counted (JIT tiering up, SQLite cache, TCP windows settling).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long to wait after the last send for the acknowledgements still due.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Null: the private broker exactly as `tunnel central` starts it. Otherwise the same broker (users, ACLs) with this persistence choice.</summary>
    public bool? SaveOnEveryChange { get; init; }
}

public sealed record LatencyBenchResult(string Label, double Compression, int Agents, long Sent, long Counted, long Decided, long Unacknowledged,
    double SendRate, double DecisionRate, Distribution DecisionMs, Distribution ReceivedMs, Distribution AckMs, Distribution PubackMs,
    long Accepted, long Rejected, long PubacksMissing, GcWhileSending Gc);

/// <summary>The process's garbage collections while the passages went out (the service and the bench's agents share the process).</summary>
public sealed record GcWhileSending(int Gen0, int Gen1, int Gen2, TimeSpan Paused);

/// <summary>
/// MQTT-to-decision latency through the real central host: private mosquitto with its generated
/// per-agent users and ACLs, the SQLite store and the service loop. Every agent publishes its share
/// of a steady passage stream (QoS 1) and listens on its ack topic. A passage's decision latency is
/// from just before its publish until the service's engine has taken it (the service's
/// <see cref="CentralService.PassagesDecided"/>, same process, same stopwatch); its acknowledgement
/// latency runs on to the receipt of the first end-to-end ack whose StoredThroughSeq covers it
/// (stored in SQLite with a disk sync, then acknowledged through the broker).
/// <para>
/// 2,000 passages/s is about 1,200 times the two default bores' peak, so the service runs on a
/// <see cref="CompressedClock"/>: passage i goes out at start + i/rate, and at that instant the
/// service's clock reads its simulated delivery time. The engine thus sees the simulated traffic with
/// its own timing (transits, late deliveries, stops), validation sees plausible timestamps, and the
/// wire carries a steady 2,000/s. Sequence numbers are renumbered per agent in send order, so an
/// acknowledgement never waits for a passage the simulation delivered late.
/// </para>
/// </summary>
public static class LatencyBench
{
    public static async Task<LatencyBenchResult> RunAsync(LatencyBenchOptions options, ReplayWorkload workload,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var (plan, times) = Plan(workload, (int)Math.Round(options.Rate * options.Duration.TotalSeconds));
        var clock = new CompressedClock(times, options.Rate);
        var dir = Directory.CreateTempSubdirectory("tunnel-bench-").FullName;
        MosquittoBroker? ownBroker = null;
        CentralHost? host = null;
        var agents = new List<Agent>();
        try
        {
            var sites = SitesFile.Maoliling;
            var overrides = new Dictionary<string, string?>
            {
                ["Tunnel:DataDirectory"] = dir,
                // Port 0 everywhere: the operating system picks a free one (a probed "free" port can be taken before it is bound).
                ["Tunnel:Http:Urls"] = "http://127.0.0.1:0",
                ["Tunnel:Retention:PlateDays"] = "0",
            };
            BrokerCredentials credentials;
            if (options.SaveOnEveryChange is not { } save)
            {
                overrides["Tunnel:Broker:Port"] = "0";
            }
            else
            {
                // The same broker EmbeddedBroker writes (users, ACLs, persistence) with the persistence
                // choice under test; the host then uses it as an external broker.
                (ownBroker, credentials) = await EmbeddedBroker.StartAsync(dir, sites, "127.0.0.1", 0, ct, saveOnEveryChange: save);
                overrides["Tunnel:Broker:Embedded"] = "false";
                overrides["Tunnel:Broker:Port"] = ownBroker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                overrides["Tunnel:Broker:Password"] = credentials.For(EmbeddedBroker.CentralUser);
            }
            host = await CentralHost.StartAsync(CentralHost.LoadConfiguration(overrides), clock, NullLoggerFactory.Instance,
                quietHttp: true, ct);
            credentials = host.Credentials ?? BrokerCredentials.LoadOrCreate(Path.Combine(dir, "broker", "credentials.json"), []);

            foreach (var id in plan.Select(p => p.AgentId).Distinct().Order(StringComparer.Ordinal))
            {
                var agent = new Agent(id, plan.Count(p => p.AgentId == id), host.BrokerHost, host.BrokerPort, credentials.For(id), sites.Sites[0].Id);
                await agent.StartAsync(ct);
                agents.Add(agent);
            }
            var byId = agents.ToDictionary(a => a.Id);
            var byEvent = plan.ToDictionary(p => p.EventId, p => (Agent: byId[p.AgentId], p.Seq));
            host.Service.PassagesDecided += decided =>
            {
                var at = Stopwatch.GetTimestamp();
                foreach (var d in decided)
                    if (byEvent.TryGetValue(d.Passage.EventId, out var x)) x.Agent.MarkDecided(x.Seq, d.ReceivedTimestamp, at);
            };
            progress?.Report(0.02);

            // The sender: one thread keeping the schedule, waking every millisecond and sending what fell due.
            var freq = (double)Stopwatch.Frequency;
            var (gen0, gen1, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var start = clock.Start();
            var warmupEnd = start + (long)(options.Warmup.TotalSeconds * freq);
            var sender = new Thread(() =>
            {
                for (var i = 0; i < plan.Count; i++)
                {
                    var due = start + (long)(i * freq / options.Rate);
                    while (Stopwatch.GetTimestamp() < due) Thread.Sleep(1);
                    var p = plan[i];
                    byId[p.AgentId].Send(p);
                    if ((i & 255) == 0) progress?.Report(0.02 + 0.88 * i / plan.Count);
                }
            }) { Name = "bench-sender", IsBackground = true };
            sender.Start();
            await Task.Run(sender.Join, ct);
            var sendEnd = Stopwatch.GetTimestamp();
            var gc = new GcWhileSending(GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
                GC.GetTotalPauseDuration() - paused);

            var drainUntil = sendEnd + (long)(options.Drain.TotalSeconds * freq);
            while (agents.Any(a => !a.AllAcknowledged) && Stopwatch.GetTimestamp() < drainUntil) await Task.Delay(20, ct);
            await Task.WhenAll(agents.Select(a => a.PublishesSettledAsync()));
            progress?.Report(1.0);

            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            var counted = agents.SelectMany(a => a.Latencies(a.DecidedAt, warmupEnd)).ToList();
            var decisionMs = Distribution.Of(counted.Select(Ms));
            var receivedMs = Distribution.Of(agents.SelectMany(a => a.Latencies(a.ReceivedAt, warmupEnd)).Select(Ms));
            var ackMs = Distribution.Of(agents.SelectMany(a => a.Latencies(a.AckedAt, warmupEnd)).Select(Ms));
            var pubackMs = Distribution.Of(agents.SelectMany(a => a.Latencies(a.PubackAt, warmupEnd)).Select(Ms));
            var lastDecision = agents.Select(a => a.LastDecisionAt).DefaultIfEmpty(sendEnd).Max();
            var decided = agents.Sum(a => a.Decided);
            var snapshot = host.Service.Snapshot;
            return new LatencyBenchResult(
                options.SaveOnEveryChange switch
                {
                    null => "private broker as `tunnel central` configures it",
                    true => "broker saving its database on every change",
                    false => "broker with mosquitto's default autosave",
                },
                clock.Compression, agents.Count, plan.Count, counted.Count, decided, plan.Count - agents.Sum(a => a.Acknowledged),
                plan.Count / ((sendEnd - start) / freq), decided / (Math.Max(lastDecision - start, 1) / freq),
                decisionMs, receivedMs, ackMs, pubackMs, snapshot.Accepted, snapshot.RejectedByReason.Sum(r => r.Value), agents.Sum(a => a.PubacksMissing), gc);
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
            if (host is not null) await host.DisposeAsync();
            if (ownBroker is not null) await ownBroker.DisposeAsync();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { /* a leftover temp directory is harmless */ }
        }
    }

    /// <summary>
    /// A stretch of the simulated stream in delivery order, from 07:00 local (the busy part of the
    /// day) when it is long enough, each passage with its agent's next sequence number.
    /// </summary>
    private static (List<Passage> Plan, DateTimeOffset[] Times) Plan(ReplayWorkload workload, int total)
    {
        var n = workload.Passages.Length;
        total = Math.Clamp(total, 2, n);
        var offset = Array.FindIndex(workload.DeliverAt, t => t.ToOffset(workload.Options.LocalUtcOffset).Hour >= 7);
        offset = Math.Clamp(offset, 0, n - total);
        var seq = new Dictionary<string, long>();
        var plan = new List<Passage>(total);
        for (var i = offset; i < offset + total; i++)
        {
            var p = workload.Passages[i];
            plan.Add(p with { Seq = seq[p.AgentId] = seq.GetValueOrDefault(p.AgentId) + 1 });
        }
        return (plan, workload.DeliverAt[offset..(offset + total)]);
    }

    /// <summary>One edge agent: its own broker user, its publishes, and the acks the service sends it.</summary>
    private sealed class Agent(string id, int planned, string host, int port, string password, string site) : IAsyncDisposable
    {
        private readonly List<Task> _publishes = new(planned);
        private readonly MqttClient _client = new(new MqttClientOptions
        {
            Host = host, Port = port, ClientId = $"bench-{id}", Username = id, Password = password,
        });
        private Task? _reader;
        private long _sent;
        private long _decided;
        private long _acknowledged;

        public string Id { get; } = id;
        // Stopwatch timestamps per seq (index 0 unused).
        public long[] SentAt { get; } = new long[planned + 1];
        public long[] ReceivedAt { get; } = new long[planned + 1];
        public long[] DecidedAt { get; } = new long[planned + 1];
        public long[] AckedAt { get; } = new long[planned + 1];
        public long[] PubackAt { get; } = new long[planned + 1];
        public long Decided => Interlocked.Read(ref _decided);
        public long Acknowledged => Interlocked.Read(ref _acknowledged);
        public bool AllAcknowledged => Acknowledged >= Interlocked.Read(ref _sent) && Interlocked.Read(ref _sent) == planned;
        public long LastDecisionAt { get; private set; }

        public async Task StartAsync(CancellationToken ct)
        {
            await _client.ConnectAsync(ct);
            await _client.SubscribeAsync(Topics.AgentAck(site, Id), 1, ct);
            _reader = Task.Run(ReadAcksAsync, CancellationToken.None);
        }

        /// <summary>Called on the sender thread only.</summary>
        public void Send(Passage p)
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(p, TunnelJson.Options);
            var topic = Topics.Passage(p.Site, p.Bore, p.Portal);
            var seq = p.Seq;
            Volatile.Write(ref SentAt[seq], Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _sent);
            var publish = _client.PublishAsync(topic, payload, 1);
            _publishes.Add(publish.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) PubackAt[seq] = Stopwatch.GetTimestamp();
            }, TaskContinuationOptions.ExecuteSynchronously));
        }

        /// <summary>Called on the service loop when its engine took passage <paramref name="seq"/>, received at <paramref name="receivedAt"/>.</summary>
        public void MarkDecided(long seq, long receivedAt, long at)
        {
            ReceivedAt[seq] = receivedAt;
            DecidedAt[seq] = at;
            LastDecisionAt = at;
            Interlocked.Increment(ref _decided);
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
                for (var s = resolved + 1; s <= through; s++) AckedAt[s] = now;
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
            try { await Task.WhenAll(_publishes).WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (TimeoutException) { }
        }

        public int PubacksMissing => _publishes.Count(t => !t.IsCompleted);

        /// <summary>Send to <paramref name="reachedAt"/> (Stopwatch ticks) of the passages sent after <paramref name="from"/> that got there.</summary>
        public IEnumerable<long> Latencies(long[] reachedAt, long from)
        {
            for (var s = 1; s <= planned; s++)
                if (SentAt[s] >= from && reachedAt[s] != 0) yield return reachedAt[s] - SentAt[s];
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            if (_reader is not null) await _reader;
        }
    }
}

/// <summary>
/// Simulated time that passes so that simulated delivery i falls at wall time start + i/rate
/// (piecewise linear between deliveries; the average pace before the start and after the last).
/// Only the clock reading is compressed; timers keep real time, which here only means the
/// service's 250 ms tick covers more simulated time: it also advances the engine on every batch.
/// </summary>
public sealed class CompressedClock(DateTimeOffset[] deliveries, double rate) : TimeProvider
{
    private long _start = long.MaxValue;

    /// <summary>Simulated seconds per wall second, on average over the stretch.</summary>
    public double Compression { get; } = (deliveries[^1] - deliveries[0]).TotalSeconds / Math.Max((deliveries.Length - 1) / rate, 1e-9);

    public long Start()
    {
        _start = Stopwatch.GetTimestamp();
        return _start;
    }

    public override DateTimeOffset GetUtcNow()
    {
        var start = Interlocked.Read(ref _start);
        if (start == long.MaxValue) return deliveries[0].ToUniversalTime();
        var position = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency * rate;
        var i = (long)Math.Floor(position);
        DateTimeOffset now;
        if (i >= deliveries.Length - 1)
            now = deliveries[^1] + TimeSpan.FromSeconds((position - (deliveries.Length - 1)) / rate * Compression);
        else
            now = deliveries[i] + (deliveries[i + 1] - deliveries[i]) * (position - i);
        return now.ToUniversalTime();
    }
}
