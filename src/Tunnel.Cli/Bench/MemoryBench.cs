using System.Text.Json;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Cli.Bench;

public sealed record MemoryBenchResult(int Vehicles, long OpenTransits, long HeapDeltaBytes, double BytesPerVehicle,
    double BytesPerUnreadVehicle, int AlarmTransitions)
{
    /// <summary>What a read plate adds to a vehicle inside (its PlateRead, per-character confidences, the plate index).</summary>
    public double PlateShare => BytesPerVehicle - BytesPerUnreadVehicle;
}

/// <summary>
/// Memory per vehicle inside: N realistic entry passages (simulated plates, classes, lanes) and no
/// exits, fed to an engine from JSON as the live service gets them, then the heap growth per open
/// transit after a full GC. The entries are squeezed into N milliseconds of event time, shorter
/// than a normal transit, so no overdue timer fires and only "vehicles inside" is measured.
/// </summary>
public static class MemoryBench
{
    public static MemoryBenchResult Run(int vehicles, int seed, IProgress<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vehicles, 1);
        var entries = Entries(vehicles, seed);
        progress?.Report(0.4);
        var (perVehicle, delta, open, alarms) = Measure(entries, unread: false);
        progress?.Report(0.7);
        var (perUnread, _, _, _) = Measure(entries, unread: true);
        progress?.Report(1.0);
        return new MemoryBenchResult(vehicles, open, delta, perVehicle, perUnread, alarms);
    }

    /// <summary>Entry passages of simulated traffic, re-timed 1 ms apart with fresh sequence numbers per agent.</summary>
    private static List<Passage> Entries(int vehicles, int seed)
    {
        var hours = Math.Max(1, vehicles / 1500.0);
        while (true)
        {
            var sim = TrafficSimulator.Run(new SimulationOptions { Seed = seed, Duration = TimeSpan.FromHours(hours) });
            var entries = sim.Passages.Select(p => p.Passage).Where(p => p.Portal == Portal.Entry).Take(vehicles).ToList();
            if (entries.Count == vehicles)
            {
                var t0 = sim.Options.Start;
                var seq = new Dictionary<string, long>();
                return entries.Select((p, i) => p with
                {
                    CapturedAt = t0 + TimeSpan.FromMilliseconds(i),
                    Seq = seq[p.AgentId] = seq.GetValueOrDefault(p.AgentId) + 1,
                }).ToList();
            }
            hours *= 1.5 * vehicles / Math.Max(entries.Count, 1);
        }
    }

    private static (double PerVehicle, long Delta, long Open, int Alarms) Measure(List<Passage> entries, bool unread)
    {
        // Held as UTF-8 JSON, as they arrive live: every Passage the engine keeps (or the parts of it
        // it keeps) is then allocated during the measurement and counted, and nothing is shared with
        // the source list.
        var lines = entries.Select(p => JsonSerializer.SerializeToUtf8Bytes(unread ? p with { Plate = null } : p, TunnelJson.Options)).ToArray();
        var alarms = 0;
        var engine = new TunnelEngine(SitesFile.Maoliling, new DetectorSettings(), _ => alarms++);
        var before = SettledHeap();
        var watermark = DateTimeOffset.MinValue;
        foreach (var line in lines)
        {
            var p = JsonSerializer.Deserialize<Passage>(line, TunnelJson.Options)!;
            if (p.CapturedAt > watermark) watermark = p.CapturedAt;
            engine.Process(p, watermark);
        }
        var after = SettledHeap();
        var open = engine.Bores.Values.Sum(b => b.Occupancy);
        GC.KeepAlive(lines);
        GC.KeepAlive(engine);
        var delta = after - before;
        return (delta / (double)Math.Max(open, 1), delta, open, alarms);
    }

    private static long SettledHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
