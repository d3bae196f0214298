using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Replay;

/// <summary>
/// Runs the real matching and alarm code over a recorded passage stream on event time, as fast as it
/// can. The stream is in delivery order; the clock is the latest capture time seen, so a late
/// passage is handled as it would have been live, and every timer fires at its own due time. Agent
/// statuses among the passages (schema <c>tunnel.agent-status.v1</c>) are taken as live.
/// </summary>
public static class ReplayRunner
{
    /// <param name="passages">UTF-8 JSONL, one passage or agent status per line, in delivery order.</param>
    public static ReplaySummary Run(SitesFile sites, Stream passages, TextWriter alarmsOut, DetectorSettings? settings = null,
        IProgress<long>? progress = null)
    {
        var transitions = new List<AlarmTransition>();
        var engine = new TunnelEngine(sites, settings ?? new DetectorSettings(), t =>
        {
            transitions.Add(t);
            alarmsOut.WriteLine(TunnelJson.Serialize(t));
        });
        long lines = 0, accepted = 0, rejected = 0, statuses = 0;
        var watermark = DateTimeOffset.MinValue;
        var clock = Stopwatch.StartNew();
        foreach (var line in Utf8Lines(passages))
        {
            lines++;
            var blank = false;
            // Statuses as the agents write them, schema first, go straight to their own reader.
            var status = line.Span.StartsWith(StatusPrefix) && AgentStatusReader.TryRead(line.Span, out var read) ? read : null;
            Passage? p = null;
            if (status is null && !PassageReader.TryRead(line.Span, out p))
            {
                status = AsStatus(line.Span);
                if (status is null) p = Parse(line.Span, out blank);
            }
            if (status is not null)
            {
                if (status.At > watermark) watermark = status.At.Value;
                engine.Process(status, watermark);
                statuses++;
                continue;
            }
            if (blank) continue;
            if (p is null) { rejected++; continue; }
            if (p.CapturedAt > watermark) watermark = p.CapturedAt;
            if (engine.Process(p, watermark)) accepted++;
            engine.EndedTransits.Clear(); // replay keeps no store
            if ((lines & 0xFFFF) == 0) progress?.Report(lines);
        }
        clock.Stop();
        return new ReplaySummary(lines, accepted, rejected, statuses, engine.Duplicates, transitions.Count,
            transitions.Where(t => t.Kind == AlarmKind.Overdue).Select(t => t.AlarmId).Distinct().Count(),
            transitions.Where(t => t.Kind == AlarmKind.Congestion).Select(t => t.AlarmId).Distinct().Count(),
            clock.Elapsed, engine.Bores.Values.Select(b => new BoreSummary(b.Key, b.Counters, b.Occupancy, b.Matcher.OpenCount)).ToList());
    }

    /// <summary>An agent status line, or null for any other (a passage the fast reader declined).</summary>
    private static AgentStatus? AsStatus(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf(StatusSchema) < 0) return null;
        try { return TunnelJson.Deserialize<AgentStatus>(line); }
        catch (JsonException) { return null; }
    }

    private static readonly byte[] StatusSchema = Encoding.UTF8.GetBytes($"\"{AgentStatus.SchemaId}\"");
    private static readonly byte[] StatusPrefix = Encoding.UTF8.GetBytes($"{{\"schema\":\"{AgentStatus.SchemaId}\"");

    /// <summary>
    /// A line <see cref="PassageReader"/> declined goes to the serializer. Only a line that fails to parse
    /// from its bytes is decoded and tried again as text, the way replay used to read every line: so a line of any Unicode whitespace is
    /// still skipped as blank, and invalid UTF-8 inside a string (decoded to U+FFFD) is still accepted
    /// rather than newly rejected.
    /// </summary>
    private static Passage? Parse(ReadOnlySpan<byte> line, out bool blank)
    {
        blank = false;
        try { return TunnelJson.Deserialize<Passage>(line); }
        catch (JsonException) { }
        var text = Encoding.UTF8.GetString(line);
        blank = string.IsNullOrWhiteSpace(text);
        try { return blank ? null : TunnelJson.Deserialize<Passage>(text); }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// The '\n'-separated lines of a UTF-8 stream, without a leading byte order mark. A trailing '\r'
    /// stays on its line: JSON reads it as whitespace. Every line lives in one pooled buffer and is
    /// valid only until the next is asked for.
    /// </summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Utf8Lines(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var bom = Encoding.UTF8.Preamble;
            var end = stream.ReadAtLeast(buffer, bom.Length, throwOnEndOfStream: false);
            var start = buffer.AsSpan(0, end).StartsWith(bom) ? bom.Length : 0;
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    yield return buffer.AsMemory(start, newline);
                    start += newline + 1;
                    continue;
                }
                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                else if (end == buffer.Length)
                {
                    // One line longer than the whole buffer.
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, end).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0) break;
                end += read;
            }
            if (end > 0) yield return buffer.AsMemory(0, end); // the last line, without a '\n'
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

public sealed record BoreSummary(BoreKey Bore, BoreCounters Counters, long Occupancy, int NamedInside);

/// <param name="Statuses">Agent statuses among the lines.</param>
public sealed record ReplaySummary(long Lines, long Accepted, long Rejected, long Statuses, long Duplicates, int AlarmTransitions,
    int OverdueAlarms, int CongestionAlarms, TimeSpan Elapsed, IReadOnlyList<BoreSummary> Bores)
{
    public double PassagesPerSecond => Accepted / Math.Max(Elapsed.TotalSeconds, 1e-9);
}
