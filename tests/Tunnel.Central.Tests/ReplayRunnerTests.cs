using System.Text;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Central.Replay;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Central.Tests;

public sealed class ReplayRunnerTests
{
    [Fact]
    public void Replay_sees_the_passages_of_a_file_with_odd_lines_as_the_engine_sees_them_in_memory()
    {
        var passages = TrafficSimulator.Run(new SimulationOptions { Seed = 4, Duration = TimeSpan.FromHours(2), StopsPerBorePerDay = 80 })
            .Passages.Select(p => p.Passage).ToList();
        // Longer than the reader's buffer.
        passages[10] = passages[10] with { Snapshot = new string('x', 200_000) };
        var file = new MemoryStream();
        file.Write(Encoding.UTF8.Preamble);
        for (var i = 0; i < passages.Count; i++)
        {
            var line = Encoding.UTF8.GetBytes(TunnelJson.Serialize(passages[i]));
            if (i == 20)
            {
                // Its plate starts with a Chinese character (3 bytes); a bad first byte leaves 3 undecodable bytes.
                Assert.Equal(0xE0, line[IndexOfPlate(line)] & 0xF0);
                line[IndexOfPlate(line)] = 0xFF;
                passages[20] = passages[20] with { Plate = passages[20].Plate! with { Text = "\uFFFD\uFFFD\uFFFD" + passages[20].Plate!.Text[1..] } };
            }
            file.Write(line);
            file.Write(i switch
            {
                0 => "\r\n"u8,
                5 => "\n\n \t\r\n\u3000\n"u8,                               // three blank lines
                6 => "\n{\"schema\":\"tunnel.passage.v1\",\n"u8,                 // malformed
                7 => "\nnull\n"u8,                                             // no passage
                8 => Encoding.UTF8.GetBytes("\n" + new string('x', 100_000) + "\n"), // malformed and longer than the buffer
                _ when i == passages.Count - 1 => ""u8,                       // the last line has no '\n'
                _ => "\n"u8,
            });
        }
        file.Position = 0;

        var alarms = new StringWriter();
        var summary = ReplayRunner.Run(SitesFile.Maoliling, file, alarms);

        var (accepted, expectedAlarms) = InMemory(passages);
        Assert.Equal(passages.Count + 6, summary.Lines);
        Assert.Equal(3, summary.Rejected);
        Assert.Equal(accepted, summary.Accepted);
        Assert.Equal(passages.Count, summary.Accepted + summary.Duplicates);
        Assert.Contains("\"kind\":\"overdue\"", expectedAlarms);
        Assert.DoesNotContain("\"kind\":\"congestion\"", expectedAlarms); // their ids are random: no two runs could be compared
        Assert.Equal(expectedAlarms, alarms.ToString());
    }

    [Fact]
    public void Replay_takes_the_agents_statuses_among_the_passages_as_the_engine_takes_them_in_memory()
    {
        var day = TrafficSimulator.Run(new SimulationOptions { Seed = 4, Duration = TimeSpan.FromHours(2), StopsPerBorePerDay = 80 });
        var text = new StringWriter();
        day.WritePassages(text);
        var alarms = new StringWriter();

        var summary = ReplayRunner.Run(SitesFile.Maoliling, new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())), alarms);

        Assert.Equal((day.Passages.Count, day.Statuses.Count, 0L), (summary.Accepted, summary.Statuses, summary.Rejected));
        // Statuses told of late passages before their cameras' next passages did, as many as in memory.
        var lateFromStatus = summary.Bores.Sum(b => b.Counters.LateFromStatus);
        Assert.True(lateFromStatus > 0);
        var expected = new StringWriter();
        var engine = new TunnelEngine(SitesFile.Maoliling, new DetectorSettings(), t => expected.WriteLine(TunnelJson.Serialize(t)));
        var watermark = DateTimeOffset.MinValue;
        var statuses = day.Statuses.GetEnumerator();
        var pending = statuses.MoveNext();
        foreach (var p in day.Passages)
        {
            for (; pending && statuses.Current.DeliverAt < p.DeliverAt; pending = statuses.MoveNext())
            {
                if (statuses.Current.Status.At > watermark) watermark = statuses.Current.Status.At!.Value;
                engine.Process(statuses.Current.Status, watermark);
            }
            if (p.Passage.CapturedAt > watermark) watermark = p.Passage.CapturedAt;
            engine.Process(p.Passage, watermark);
        }
        Assert.Equal(lateFromStatus, engine.Bores.Values.Sum(b => b.Counters.LateFromStatus));
        Assert.Contains("\"kind\":\"overdue\"", expected.ToString());
        Assert.DoesNotContain("\"kind\":\"congestion\"", expected.ToString()); // their ids are random
        Assert.Equal(expected.ToString(), alarms.ToString());
    }

    [Fact]
    public void The_fast_readers_read_every_line_of_a_simulated_day_as_the_serializer_does()
    {
        var day = TrafficSimulator.Run(new SimulationOptions { Seed = 2, Duration = TimeSpan.FromHours(24) });
        Assert.True(day.Statuses.Count > 50_000);
        foreach (var simulated in day.Statuses)
        {
            var line = Encoding.UTF8.GetBytes(TunnelJson.Serialize(simulated.Status));
            Assert.True(AgentStatusReader.TryRead(line, out var fast));
            Assert.Equal(TunnelJson.Deserialize<AgentStatus>(line), fast);
        }
        var passages = day.Passages;
        Assert.True(passages.Count > 50_000);
        foreach (var simulated in passages)
        {
            var line = Encoding.UTF8.GetBytes(TunnelJson.Serialize(simulated.Passage));
            Assert.True(PassageReader.TryRead(line, out var fast));
            var slow = TunnelJson.Deserialize<Passage>(line)!;
            // Records compare lists by reference: the character confidences item by item, in the same type.
            Assert.Equal(slow.Plate?.CharConfidences?.GetType(), fast!.Plate?.CharConfidences?.GetType());
            Assert.Equal(slow.Plate?.CharConfidences, fast.Plate?.CharConfidences);
            Assert.Equal(WithoutCharConfidences(slow), WithoutCharConfidences(fast));
        }
    }

    private static Passage WithoutCharConfidences(Passage p) =>
        p with { Plate = p.Plate is { } plate ? plate with { CharConfidences = null } : null };

    [Fact]
    public void An_empty_file_and_a_file_of_only_a_byte_order_mark_have_no_lines()
    {
        Assert.Equal(0, ReplayRunner.Run(SitesFile.Maoliling, new MemoryStream(), TextWriter.Null).Lines);
        Assert.Equal(0, ReplayRunner.Run(SitesFile.Maoliling, new MemoryStream(Encoding.UTF8.Preamble.ToArray()), TextWriter.Null).Lines);
    }

    private static int IndexOfPlate(byte[] json) => json.AsSpan().IndexOf("\"text\":\""u8) + "\"text\":\""u8.Length;

    /// <summary>The engine over the passages themselves, driven as replay drives it: event time, the latest capture seen.</summary>
    private static (long Accepted, string Alarms) InMemory(IEnumerable<Passage> passages)
    {
        var alarms = new StringWriter();
        var engine = new TunnelEngine(SitesFile.Maoliling, new DetectorSettings(), t => alarms.WriteLine(TunnelJson.Serialize(t)));
        var watermark = DateTimeOffset.MinValue;
        long accepted = 0;
        foreach (var p in passages)
        {
            if (p.CapturedAt > watermark) watermark = p.CapturedAt;
            if (engine.Process(p, watermark)) accepted++;
        }
        return (accepted, alarms.ToString());
    }
}
