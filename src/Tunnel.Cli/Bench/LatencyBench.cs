using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Cli.Bench;

public sealed record LatencyBenchOptions
{
    public double Rate { get; init; } = 2000;
    public TimeSpan Duration { get; init; } = DefaultDuration;
    /// <summary>
    /// Passages sent in this first stretch are sent but not counted (JIT tiering up, SQLite cache, TCP
    /// windows settling). A long-running service has long finished tiering up; on this loaded machine
    /// the JIT was still busy 5 s in (a third of a core), and 15 s in it is done.
    /// </summary>
    public TimeSpan Warmup { get; init; } = DefaultWarmup;
    /// <summary>How long to wait after the last send for the acknowledgements still due.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Null: the private broker exactly as `tunnel central` starts it. Otherwise the same broker (users, ACLs) with this persistence choice.</summary>
    public bool? SaveOnEveryChange { get; init; }
    /// <summary>
    /// The agents' niceness in their own process (standing for other machines); null runs them in the
    /// service's process instead, the way this bench measured before.
    /// </summary>
    public int? AgentsNice { get; init; } = DefaultAgentsNice;
    /// <summary>Decisions slower than this are the tail the result takes apart (<see cref="LatencyBenchResult.Tail"/>).</summary>
    public double TailFromMs { get; init; } = 5;

    public const int DefaultAgentsNice = 15;
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultWarmup = TimeSpan.FromSeconds(15);
}

/// <param name="CpuAfterWarmup">Per process (service, mosquitto, agents), CPU used and time waited for a CPU from the warm-up's end to the last send.</param>
/// <param name="StoreCommits">Store transactions (each one disk sync) from the warm-up's end until every passage was acknowledged: the last sends' commits come after the last send.</param>
/// <param name="SendLateMs">How long after its due instant each passage went out: a starved sender bunches sends up, and bunches queue at the service.</param>
public sealed record LatencyBenchResult(string Label, string Setup, double Compression, int Agents, long Sent, long Counted, long Decided,
    long Unacknowledged, double SendRate, double DecisionRate, Distribution SendLateMs, Distribution DecisionMs, Distribution ReceivedMs, Distribution InServiceMs,
    Distribution AckMs, Distribution PubackMs, long Accepted, long Rejected, long PubacksMissing, long OutOfOrder, int AlarmTransitions, GcWhileSending Gc,
    IReadOnlyList<string> CpuAfterWarmup, long StoreCommits, TailBreakdown Tail);

/// <summary>The service process's garbage collections while the passages went out (the agents' too when they share it).</summary>
public sealed record GcWhileSending(int Gen0, int Gen1, int Gen2, TimeSpan Paused);

/// <summary>
/// MQTT-to-decision latency through the real central host: private mosquitto with its generated
/// per-agent users and ACLs, the SQLite store and the service loop. Every agent publishes its share
/// of a steady passage stream (QoS 1) and listens on its ack topic. A passage's decision latency is
/// from just before its publish until the service's engine has taken it (the service's
/// <see cref="CentralService.PassagesDecided"/>); its acknowledgement latency runs on to the receipt
/// of the first end-to-end ack whose StoredThroughSeq covers it (stored in SQLite with a disk sync,
/// then acknowledged through the broker).
/// <para>
/// The agents run in a process of their own at a lower priority (<see cref="AgentsProcess"/>): in a
/// deployment they are other machines, and on a two-core machine sharing the service's process or
/// its CPU would measure the load generator. Their timestamps and the service's are one clock.
/// </para>
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
    // Time for the start instant to reach the agents before the first passage is due.
    private static readonly TimeSpan StartLead = TimeSpan.FromMilliseconds(200);

    public static async Task<LatencyBenchResult> RunAsync(LatencyBenchOptions options, ReplayWorkload workload,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var (plan, times) = Plan(workload, (int)Math.Round(options.Rate * options.Duration.TotalSeconds));
        var clock = new CompressedClock(times, options.Rate);
        var dir = Directory.CreateTempSubdirectory("tunnel-bench-").FullName;
        MosquittoBroker? ownBroker = null;
        CentralHost? host = null;
        IAgentLoad? agents = null;
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

            var agentsPlan = new AgentsPlan(host.BrokerHost, host.BrokerPort, sites.Sites[0].Id, options.Rate, options.Drain,
                plan.Select(p => p.AgentId).Distinct().ToDictionary(id => id, credentials.For), plan.ToArray());
            string setup;
            var processes = new List<(string Name, int Pid)> { ("service", Environment.ProcessId) };
            // The bench's own broker only: other brokers may run beside it (the tests start their own).
            if ((ownBroker?.ProcessId ?? host.EmbeddedBrokerProcessId) is { } brokerPid) processes.Add(("mosquitto", brokerPid));
            if (options.AgentsNice is { } nice)
            {
                var child = await AgentsProcess.StartAsync(agentsPlan, dir, nice, ct);
                agents = child;
                processes.Add(("agents", child.ProcessId));
                setup = $"agents in a process of their own (pid {child.ProcessId}, nice +{child.Nice}), the service alone in the bench's";
            }
            else
            {
                agents = await SimulatedAgents.ConnectAsync(agentsPlan, ct);
                setup = "agents inside the service's process (the old setup)";
            }

            var decisions = new DecisionLog(plan, host.Service);
            progress?.Report(0.02);

            var freq = (double)Stopwatch.Frequency;
            var (gen0, gen1, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var start = clock.Start(Stopwatch.GetTimestamp() + (long)(StartLead.TotalSeconds * freq));
            var warmupEnd = start + (long)(options.Warmup.TotalSeconds * freq);
            var sending = agents.SendAsync(start, ct);
            var sendSeconds = plan.Count / options.Rate;
            // CPU is accounted over the counted stretch: the warm-up's JIT work is what it is there to absorb.
            List<ThreadCpu>? cpuAtWarmupEnd = null;
            long cpuFrom = 0, commitsFrom = 0;
            while (!sending.IsCompleted)
            {
                if (cpuAtWarmupEnd is null && Stopwatch.GetTimestamp() >= warmupEnd)
                {
                    cpuFrom = Stopwatch.GetTimestamp();
                    commitsFrom = host.Service.StoreCommits;
                    cpuAtWarmupEnd = processes.Select(p => ThreadCpu.Read(p.Pid)).ToList();
                }
                progress?.Report(0.02 + 0.88 * Math.Clamp((Stopwatch.GetTimestamp() - start) / freq / sendSeconds, 0, 1));
                await Task.WhenAny(sending, Task.Delay(250, ct));
            }
            var sendEnd = await sending;
            var gc = new GcWhileSending(GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
                GC.GetTotalPauseDuration() - paused);
            var sentAfterWarmup = Math.Max(1, (long)Math.Round((sendEnd - cpuFrom) / freq * options.Rate));
            var cpu = cpuAtWarmupEnd is null ? [] : processes.Select((p, i) =>
            {
                var now = ThreadCpu.Read(p.Pid);
                var used = now.Since(cpuAtWarmupEnd[i]);
                var (voluntary, involuntary) = now.SwitchesSince(cpuAtWarmupEnd[i]);
                return $"{p.Name}: {ThreadCpu.Describe(used)}; per passage sent {used.Sum(t => t.Cpu.TotalMicroseconds) / sentAfterWarmup:0} µs CPU, " +
                       $"{(double)(voluntary + involuntary) / sentAfterWarmup:0.00} context switches ({voluntary:N0} voluntary, {involuntary:N0} involuntary in all: " +
                       $"{string.Join(", ", now.SwitchesByName(cpuAtWarmupEnd[i]).Take(4).Select(t => $"{t.Name} {t.Switches:N0}"))})";
            }).ToList();
            var timings = await agents.SettleAsync(ct);
            // Read once every passage is acknowledged, which each one is only after the commit that stored it.
            var commits = host.Service.StoreCommits - commitsFrom;
            if (cpuAtWarmupEnd is not null)
                cpu.Add($"store: {commits:N0} commits ({commits / Math.Max((Stopwatch.GetTimestamp() - cpuFrom) / freq, 1e-9):0} a second until the last was acknowledged, {(double)sentAfterWarmup / Math.Max(commits, 1):0.0} passages each)");
            if (timings.Frequency != Stopwatch.Frequency)
                throw new InvalidOperationException($"the agents' clock ticks {timings.Frequency}/s, the service's {Stopwatch.Frequency}/s: their timestamps cannot be joined");
            progress?.Report(1.0);

            var counted = Enumerable.Range(0, plan.Count).Where(i => timings.SentAt[i] >= warmupEnd).ToArray();
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            Distribution Between(long[] from, long[] to) => Distribution.Of(counted.Where(i => from[i] != 0 && to[i] != 0).Select(i => Ms(to[i] - from[i])));
            // One clock for both processes means every passage was sent, then received, then decided;
            // anything else would make the joined figures meaningless.
            var (receivedAt, decidedAt) = (decisions.ReceivedAt, decisions.DecidedAt);
            var outOfOrder = Enumerable.Range(0, plan.Count).LongCount(i => decidedAt[i] != 0 &&
                !(timings.SentAt[i] != 0 && timings.SentAt[i] <= receivedAt[i] && receivedAt[i] <= decidedAt[i]));
            var decision = Between(timings.SentAt, decidedAt);
            var ticksPerPassage = freq / options.Rate;
            var sendLate = Distribution.Of(counted.Select(i => Ms(timings.SentAt[i] - start - (long)(i * ticksPerPassage))));
            var tail = decisions.Tail(counted, timings.SentAt, options.TailFromMs, warmupEnd);
            var snapshot = host.Service.Snapshot;
            return new LatencyBenchResult(
                options.SaveOnEveryChange switch
                {
                    null => "private broker as `tunnel central` configures it",
                    true => "broker saving its database on every change",
                    false => "broker with mosquitto's default autosave",
                },
                setup, clock.Compression, agentsPlan.Passwords.Count, plan.Count, decision.Count, decisions.Count, timings.Unacknowledged,
                plan.Count / ((sendEnd - start) / freq), decisions.Count / (Math.Max(decisions.Last - start, 1) / freq),
                sendLate, decision, Between(timings.SentAt, receivedAt), Between(receivedAt, decidedAt), Between(timings.SentAt, timings.AckedAt),
                Between(timings.SentAt, timings.PubackAt), snapshot.Accepted, snapshot.RejectedByReason.Sum(r => r.Value),
                timings.PubacksMissing, outOfOrder, decisions.AlarmTransitions, gc, cpu, commits, tail);
        }
        finally
        {
            if (agents is not null) await agents.DisposeAsync();
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

    /// <summary>Starts now; see <see cref="Start(long)"/>.</summary>
    public long Start() => Start(Stopwatch.GetTimestamp());

    /// <summary>Delivery 0 falls at <paramref name="at"/> (Stopwatch ticks, possibly ahead: the clock reads delivery 0 until then).</summary>
    public long Start(long at)
    {
        Interlocked.Exchange(ref _start, at);
        return at;
    }

    public override DateTimeOffset GetUtcNow()
    {
        var start = Interlocked.Read(ref _start);
        var elapsed = Stopwatch.GetTimestamp() - start;
        if (start == long.MaxValue || elapsed < 0) return deliveries[0].ToUniversalTime();
        var position = elapsed / (double)Stopwatch.Frequency * rate;
        var i = (long)Math.Floor(position);
        DateTimeOffset now;
        if (i >= deliveries.Length - 1)
            now = deliveries[^1] + TimeSpan.FromSeconds((position - (deliveries.Length - 1)) / rate * Compression);
        else
            now = deliveries[i] + (deliveries[i + 1] - deliveries[i]) * (position - i);
        return now.ToUniversalTime();
    }
}
