using System.Text;
using System.Text.Json;
using Tunnel.Core.Contracts;

namespace Tunnel.Core.Tests.Contracts;

/// <summary>The fast passage reader returns what the serializer returns, or declines and leaves it to the serializer.</summary>
public sealed class PassageReaderTests
{
    private const string Id = "\"eventId\":\"3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c\"";
    private const string Head = "{\"schema\":\"tunnel.passage.v1\"," + Id + ",\"agentId\":\"a\",\"seq\":7,\"site\":\"maoliling\",\"bore\":\"north\"";
    private const string Tail = ",\"lane\":2,\"cameraId\":\"c\",\"capturedAt\":\"2026-11-02T08:15:42.123Z\",\"vehicle\":{\"class\":\"car\"}}";

    public static TheoryData<string, bool> Lines => new()
    {
        // Taken by the reader: the shapes the agents and the serializer write.
        { Samples.Passage, true },
        { Samples.Passage + " \r", true },
        { Head + ",\"portal\":\"exit\"" + Tail, true },
        { Head + ",\"portal\":\"exit\",\"plate\":{\"text\":\"浙J12345\"}" + Tail, true },
        { Head + ",\"portal\":\"exit\",\"plate\":{\"text\":\"\\u6D59J1\\\"2\",\"charConfidences\":[]}" + Tail, true },
        { Head + ",\"portal\":\"exit\",\"plate\":{\"text\":\"X\",\"color\":\"black\",\"confidence\":1e-3,\"charConfidences\":[-0.0,1E+0,0.1234567890123456789]}" + Tail, true },
        { Head.Replace("\"seq\":7", "\"seq\":9223372036854775807") + ",\"portal\":\"entry\"" + Tail.Replace("08:15:42.123Z", "16:15:42.1234567+08:00"), true },
        { " \t" + Head + ",\"portal\":\"entry\"" + Tail.Replace("{\"class\":\"car\"}", "{\"class\":\"motorcycle\",\"confidence\":0.5,\"hazmat\":true,\"hazmatConfidence\":0.9}"), true },
        { Head + ",\"portal\":\"entry\"" + Tail.Replace("{\"class\":\"car\"}", "{}"), true },
        { Head.Replace("\"schema\":\"tunnel.passage.v1\",", "") + ",\"portal\":\"entry\"" + Tail, true },
        // Out of a double's range: both read it as infinity.
        { Head + ",\"portal\":\"entry\",\"plate\":{\"text\":\"X\",\"confidence\":1e400}" + Tail, true },
        // Declined: the serializer reads these its own way, or rejects them.
        { Head.Replace("\"seq\"", "\"Seq\"") + ",\"portal\":\"entry\"" + Tail, false },
        { Head.Replace("\"seq\"", "\"s\\u0065q\"") + ",\"portal\":\"entry\"" + Tail, false },
        { Head + ",\"portal\":\"entry\",\"seq\":8" + Tail, false },
        { Head + ",\"portal\":\"entry\",\"extra\":[1,{\"a\":null}]" + Tail, false },
        { Head + ",\"portal\":\"entry\",\"plate\":null" + Tail, false },
        { Head + ",\"portal\":\"entry\",\"snapshot\":null" + Tail, false },
        { Head.Replace("\"seq\":7", "\"seq\":\"7\"") + ",\"portal\":\"entry\"" + Tail, false },
        { Head + ",\"portal\":\"entry\"" + Tail.Replace("\"lane\":2", "\"lane\":2.0"), false },
        { Head + ",\"portal\":\"entry\"" + Tail.Replace("\"lane\":2", "\"lane\":4294967296"), false },
        { Head + ",\"portal\":\"Entry\"" + Tail, false },
        { Head + ",\"portal\":0" + Tail, false },
        { Head + ",\"portal\":\"entry\"" + Tail.Replace("\"car\"", "\"Car\""), false },
        { Head + ",\"portal\":\"entry\"" + Tail.Replace("\"class\":\"car\"", "\"hazmat\":\"true\""), false },
        { Head + ",\"portal\":\"entry\",\"plate\":{\"color\":\"blue\"}" + Tail, false },
        { Head + ",\"portal\":\"entry\",\"plate\":{\"text\":\"X\",\"charConfidences\":[\"0.5\"]}" + Tail, false },
        { Head + Tail, false },
        { Head.Replace(Id + ",", "") + ",\"portal\":\"entry\"" + Tail, false },
        { Head.Replace("3f2b8c1e-9d4a", "{3f2b8c1e-9d4a") + ",\"portal\":\"entry\"" + Tail, false },
        { Head + ",\"portal\":\"entry\"" + Tail.Replace("08:15:42.123Z", "yesterday"), false },
        { Head + ",\"portal\":\"entry\"" + Tail + "x", false },
        { Head + ",\"portal\":\"entry\"" + Tail + "{}", false },
        { Head + ",\"portal\":\"entry\"," + Tail[1..].Replace("}}", "},}"), false },
        { Head + ",\"portal\":\"entry\"" + Tail[..^1], false },
        { "null", false },
        { "[]", false },
        { "", false },
        { "   ", false },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_line_is_read_as_the_serializer_reads_it_or_declined(string line, bool taken)
    {
        var utf8 = Encoding.UTF8.GetBytes(line);
        Assert.Equal(taken, PassageReader.TryRead(utf8, out var fast));
        if (!taken)
        {
            Assert.Null(fast);
            return;
        }
        AssertSame(TunnelJson.Deserialize<Passage>(utf8), fast);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_declined()
    {
        var utf8 = Encoding.UTF8.GetBytes(Samples.Passage);
        utf8[utf8.AsSpan().IndexOf("\"text\":\""u8) + 8] = 0xFF;
        Assert.False(PassageReader.TryRead(utf8, out _));
        Assert.ThrowsAny<JsonException>(() => TunnelJson.Deserialize<Passage>(utf8));
    }

    [Fact]
    public void Every_number_is_the_double_the_serializer_reads_to_the_last_bit()
    {
        // The short decimals the reader works out itself (up to 15 digits, no exponent) and the longer ones it leaves to the parser.
        var random = new Random(18);
        var numbers = new List<string> { "0", "-0", "-0.0", "0.5", "1.0", "0.1", "0.947", "999999999999999", "0.999999999999999", "1000000000000000", "0.1234567890123456", "9007199254740993", "1e-3", "2.5E+2" };
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(1, 19);
            var digits = string.Concat(Enumerable.Range(0, length).Select(k => (char)('0' + random.Next(k == 0 && length > 1 ? 1 : 0, 10))));
            var point = random.Next(0, length);
            var text = point == 0 ? digits : digits[..point] + "." + digits[point..];
            numbers.Add(random.Next(4) == 0 ? "-" + text : text);
        }
        foreach (var chunk in numbers.Chunk(50))
        {
            var line = Head + ",\"portal\":\"exit\",\"plate\":{\"text\":\"X\",\"charConfidences\":[" + string.Join(',', chunk) + "]}" + Tail;
            var utf8 = Encoding.UTF8.GetBytes(line);
            Assert.True(PassageReader.TryRead(utf8, out var fast), line);
            var expected = TunnelJson.Deserialize<Passage>(utf8)!.Plate!.CharConfidences!;
            var actual = fast!.Plate!.CharConfidences!;
            for (var k = 0; k < chunk.Length; k++)
                Assert.True(BitConverter.DoubleToInt64Bits(expected[k]) == BitConverter.DoubleToInt64Bits(actual[k]), $"{chunk[k]}: {expected[k]:R} read as {actual[k]:R}");
        }
    }

    [Fact]
    public void Identifiers_read_again_are_the_same_text_however_many_there_are()
    {
        // More agents than the reader keeps strings for, some of them not ASCII, each read three times in turn.
        var agents = Enumerable.Range(0, 1_000).Select(i => i % 7 == 0 ? $"隧道-{i}" : $"maoliling-north-entry-{i}").ToList();
        for (var round = 0; round < 3; round++)
            foreach (var agent in agents)
            {
                Assert.True(PassageReader.TryRead(Encoding.UTF8.GetBytes(Head.Replace("\"agentId\":\"a\"", $"\"agentId\":\"{agent}\"") + ",\"portal\":\"exit\"" + Tail), out var p));
                Assert.Equal(agent, p!.AgentId);
            }
    }

    [Fact]
    public void The_names_of_a_tunnels_agents_are_each_kept_as_one_string_not_made_anew_per_line()
    {
        // Names that differ in one word in their middle (north/south) or at their end (entry/exit, lane) must not share a slot.
        var agents = (from bore in new[] { "north", "south" }
                      from portal in new[] { "entry", "exit" }
                      from lane in new[] { 1, 2 }
                      select (Agent: $"maoliling-{bore}-{portal}-{lane}", Camera: $"cam-{bore}-{portal}-{lane}")).ToList();
        var first = agents.Select(a => Read(a.Agent, a.Camera)).ToList();
        for (var i = 0; i < agents.Count; i++)
        {
            var again = Read(agents[i].Agent, agents[i].Camera);
            Assert.Equal(agents[i].Agent, again.AgentId);
            Assert.Same(first[i].AgentId, again.AgentId);
            Assert.Same(first[i].CameraId, again.CameraId);
        }

        static Passage Read(string agent, string camera)
        {
            var line = Head.Replace("\"agentId\":\"a\"", $"\"agentId\":\"{agent}\"") + ",\"portal\":\"exit\"" +
                Tail.Replace("\"cameraId\":\"c\"", $"\"cameraId\":\"{camera}\"");
            Assert.True(PassageReader.TryRead(Encoding.UTF8.GetBytes(line), out var p));
            return p!;
        }
    }

    /// <summary>Equal as records, and the character confidences (a list, compared by reference there) equal item by item, in the same type.</summary>
    private static void AssertSame(Passage? expected, Passage? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Plate?.CharConfidences?.GetType(), actual.Plate?.CharConfidences?.GetType());
        Assert.Equal(expected.Plate?.CharConfidences, actual.Plate?.CharConfidences);
        Assert.Equal(WithoutCharConfidences(expected), WithoutCharConfidences(actual));
    }

    private static Passage WithoutCharConfidences(Passage p) =>
        p with { Plate = p.Plate is { } plate ? plate with { CharConfidences = null } : null };
}
