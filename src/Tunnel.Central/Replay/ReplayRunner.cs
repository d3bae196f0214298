using System.Diagnostics;
using System.Text.Json;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Replay;

/// <summary>
/// Runs the real matching and alarm code over a recorded passage stream on event time, as fast as it
/// can. The stream is in delivery order; the clock is the latest capture time seen, so a late
/// passage is handled as it would have been live, and every timer fires at its own due time.
/// </summary>
public static class ReplayRunner
{
    public static ReplaySummary Run(SitesFile sites, TextReader passages, TextWriter alarmsOut, DetectorSettings? settings = null,
        IProgress<long>? progress = null)
    {
        var transitions = new List<AlarmTransition>();
        var engine = new TunnelEngine(sites, settings ?? new DetectorSettings(), t =>
        {
            transitions.Add(t);
            alarmsOut.WriteLine(TunnelJson.Serialize(t));
        });
        long lines = 0, accepted = 0, rejected = 0;
        var watermark = DateTimeOffset.MinValue;
        var clock = Stopwatch.StartNew();
        while (passages.ReadLine() is { } line)
        {
            lines++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            Passage? p;
            try { p = TunnelJson.Deserialize<Passage>(line); }
            catch (JsonException) { rejected++; continue; }
            if (p is null) { rejected++; continue; }
            if (p.CapturedAt > watermark) watermark = p.CapturedAt;
            if (engine.Process(p, watermark)) accepted++;
            engine.EndedTransits.Clear(); // replay keeps no store
            if ((lines & 0xFFFF) == 0) progress?.Report(lines);
        }
        clock.Stop();
        return new ReplaySummary(lines, accepted, rejected, engine.Duplicates, transitions.Count,
            transitions.Where(t => t.Kind == AlarmKind.Overdue).Select(t => t.AlarmId).Distinct().Count(),
            transitions.Where(t => t.Kind == AlarmKind.Congestion).Select(t => t.AlarmId).Distinct().Count(),
            clock.Elapsed, engine.Bores.Values.Select(b => new BoreSummary(b.Key, b.Counters, b.Occupancy, b.Matcher.OpenCount)).ToList());
    }
}

public sealed record BoreSummary(BoreKey Bore, BoreCounters Counters, long Occupancy, int NamedInside);

public sealed record ReplaySummary(long Lines, long Accepted, long Rejected, long Duplicates, int AlarmTransitions,
    int OverdueAlarms, int CongestionAlarms, TimeSpan Elapsed, IReadOnlyList<BoreSummary> Bores)
{
    public double PassagesPerSecond => Accepted / Math.Max(Elapsed.TotalSeconds, 1e-9);
}
