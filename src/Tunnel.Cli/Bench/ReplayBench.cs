using System.Diagnostics;
using System.Text;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Central.Replay;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Cli.Bench;

/// <summary>Simulated traffic held in memory, so the replay bench times the engine and the JSON reader, not the disk.</summary>
public sealed class ReplayWorkload
{
    private ReplayWorkload(SimulationOptions options, Passage[] passages, DateTimeOffset[] deliverAt, (int Before, AgentStatus Status)[] statuses,
        byte[] jsonl, TimeSpan simulatedIn)
    {
        Options = options;
        Passages = passages;
        Statuses = statuses;
        DeliverAt = deliverAt;
        Jsonl = jsonl;
        SimulatedIn = simulatedIn;
    }

    public SimulationOptions Options { get; }
    /// <summary>In delivery order, as `tunnel replay` reads them.</summary>
    public Passage[] Passages { get; }
    /// <summary>The agents' statuses, each with the index of the passage it came before, in delivery order.</summary>
    public (int Before, AgentStatus Status)[] Statuses { get; }
    /// <summary>When each passage reached the central service in the simulation (non-decreasing).</summary>
    public DateTimeOffset[] DeliverAt { get; }
    /// <summary>The passages and statuses as `tunnel replay` reads them from a file: UTF-8 JSONL.</summary>
    public byte[] Jsonl { get; }
    public TimeSpan SimulatedIn { get; }
    public SitesFile Sites => SitesFile.Maoliling;

    public static ReplayWorkload Create(double hours, int seed)
    {
        var options = new SimulationOptions { Seed = seed, Duration = TimeSpan.FromHours(hours) };
        var clock = Stopwatch.StartNew();
        var result = TrafficSimulator.Run(options);
        var passages = result.Passages.Select(p => p.Passage).ToArray();
        var deliverAt = result.Passages.Select(p => p.DeliverAt).ToArray();
        // As the file puts them: before the first passage delivered after them.
        var statuses = result.Statuses.Select(s => (Before: LowerBound(deliverAt, s.DeliverAt), s.Status)).ToArray();
        var jsonl = new StringWriter(new StringBuilder(passages.Length * 500)) { NewLine = "\n" };
        result.WritePassages(jsonl);
        return new ReplayWorkload(options, passages, deliverAt, statuses, Encoding.UTF8.GetBytes(jsonl.ToString()), clock.Elapsed);
    }

    /// <summary>The index of the first of <paramref name="sorted"/> after <paramref name="at"/>, or its length.</summary>
    private static int LowerBound(DateTimeOffset[] sorted, DateTimeOffset at)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] > at) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}

/// <summary>Rates per wall-clock second and, where the thread's CPU time is readable, per CPU second of the measuring thread.</summary>
public sealed record ReplayBenchResult(int Passages, IReadOnlyList<double> EngineRates, IReadOnlyList<double> JsonRates,
    IReadOnlyList<double> EngineCpuRates, IReadOnlyList<double> JsonCpuRates, long Accepted, int AlarmTransitions, bool Pinned)
{
    public double? EngineCpuMedian => EngineCpuRates.Count > 0 ? Median(EngineCpuRates) : null;
    public double? JsonCpuMedian => JsonCpuRates.Count > 0 ? Median(JsonCpuRates) : null;
    public double EngineMin => EngineRates.Min();
    public double EngineMedian => Median(EngineRates);
    public double JsonMin => JsonRates.Min();
    public double JsonMedian => Median(JsonRates);

    internal static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>
/// Replay throughput: the engine alone over in-memory passages (event-time clock, exactly as
/// <see cref="ReplayRunner"/> drives it), then the whole replay path with JSON parsing.
/// </summary>
public static class ReplayBench
{
    public static ReplayBenchResult Run(ReplayWorkload workload, int runs, IProgress<double>? progress = null, int cpu = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var ((engineRates, jsonRates, engineCpu, jsonCpu, accepted, alarms), pinned) = CpuPin.Run(cpu, () =>
        {
            var steps = 2.0 * (runs + 1);
            var done = 0;
            // The first pass of each is a warm-up: tiered JIT and PGO settle during it, and it is not counted.
            EngineOnce(workload);
            progress?.Report(++done / steps);
            var engine = new List<double>();
            var engineCpu = new List<double>();
            (long Accepted, int Alarms) last = default;
            for (var i = 0; i < runs; i++)
            {
                var (elapsed, cpuTime, acc, al) = EngineOnce(workload);
                engine.Add(acc / elapsed.TotalSeconds);
                if (cpuTime is { } c) engineCpu.Add(acc / c.TotalSeconds);
                last = (acc, al);
                progress?.Report(++done / steps);
            }
            JsonOnce(workload);
            progress?.Report(++done / steps);
            var json = new List<double>();
            var jsonCpu = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var (rate, cpuRate) = JsonOnce(workload);
                json.Add(rate);
                if (cpuRate is { } c) jsonCpu.Add(c);
                progress?.Report(++done / steps);
            }
            return (engine, json, engineCpu, jsonCpu, last.Accepted, last.Alarms);
        });
        return new ReplayBenchResult(workload.Passages.Length, engineRates, jsonRates, engineCpu, jsonCpu, accepted, alarms, pinned);
    }

    private static (TimeSpan Elapsed, TimeSpan? Cpu, long Accepted, int Alarms) EngineOnce(ReplayWorkload workload)
    {
        // A clean heap for every run, so one run does not pay for the previous run's garbage.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var alarms = 0;
        var engine = new TunnelEngine(workload.Sites, new DetectorSettings(), _ => alarms++);
        var passages = workload.Passages;
        var statuses = workload.Statuses;
        var watermark = DateTimeOffset.MinValue;
        long accepted = 0;
        var cpu0 = CpuPin.CurrentThreadCpuTime();
        var clock = Stopwatch.StartNew();
        for (int i = 0, s = 0; i < passages.Length; i++)
        {
            for (; s < statuses.Length && statuses[s].Before == i; s++)
            {
                var status = statuses[s].Status;
                if (status.At > watermark) watermark = status.At.Value;
                engine.Process(status, watermark);
            }
            var p = passages[i];
            if (p.CapturedAt > watermark) watermark = p.CapturedAt;
            if (engine.Process(p, watermark)) accepted++;
        }
        clock.Stop();
        var cpu = CpuPin.CurrentThreadCpuTime() - cpu0;
        return (clock.Elapsed, cpu, accepted, alarms);
    }

    private static (double Rate, double? CpuRate) JsonOnce(ReplayWorkload workload)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var cpu0 = CpuPin.CurrentThreadCpuTime();
        var summary = ReplayRunner.Run(workload.Sites, new MemoryStream(workload.Jsonl, writable: false), TextWriter.Null);
        var cpu = CpuPin.CurrentThreadCpuTime() - cpu0;
        return (summary.PassagesPerSecond, cpu is { } c ? summary.Accepted / c.TotalSeconds : null);
    }
}
