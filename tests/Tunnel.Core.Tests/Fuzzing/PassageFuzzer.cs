using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Tunnel.Core.Contracts;

namespace Tunnel.Core.Tests.Fuzzing;

/// <summary>What a fuzz message must get. <see cref="Either"/> where the mutation may or may not break validity (a bit flip in a digit).</summary>
public enum FuzzExpectation { Accept, Reject, Either }

/// <param name="Kind">The generator or mutation that made it, for per-kind statistics and failure messages.</param>
public sealed record FuzzMessage(int Index, string Kind, string Topic, byte[] Payload, FuzzExpectation Expect)
{
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Payload);
        return $"#{Index} {Kind} expect {Expect} on {Topic}: {(text.Length > 300 ? text[..300] + "…" : text)}";
    }
}

/// <summary>
/// A seeded generator of passage messages for ingest fuzzing: valid passages for the given sites, and
/// valid passages broken in every way the ingest path must survive (random bytes, truncations, bit
/// flips, deleted fields, swapped types, huge numbers, deep nesting, giant strings, bad topics, bad
/// times, bad plates, duplicate keys...). Depends only on Tunnel.Core and the BCL so other test
/// projects (the full service path through a broker) can link this file and reuse it.
/// </summary>
/// <remarks>
/// Valid messages have capturedAt in [now - 6 days, now + 1 minute], inside the validator's default
/// window with room for a test that takes a while to deliver them. The same seed gives the same messages.
/// </remarks>
public sealed class PassageFuzzer
{
    public const int DefaultMaxPayloadBytes = 64 * 1024;
    public const int DefaultMaxJsonDepth = 16;

    private static readonly JsonSerializerOptions writeOptions = new()
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };

    private static readonly string[] colors = ["blue", "yellow", "green", "white", "black", "unknown"];
    private static readonly string[] classes = ["car", "van", "bus", "truck", "motorcycle", "unknown"];
    private static readonly string[] requiredTop = ["schema", "eventId", "agentId", "seq", "site", "bore", "portal", "lane", "cameraId", "capturedAt", "vehicle"];
    private static readonly string[] requiredPlate = ["text", "color", "confidence"];
    private static readonly string[] requiredVehicle = ["class", "confidence", "hazmat", "hazmatConfidence"];
    private const string PlateLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"; // no I, O on Chinese plates
    private const string PlateAlnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

    private readonly Random random;
    private readonly (string Site, string Bore, int Lanes)[] bores;
    private readonly HashSet<string> siteIds;
    private readonly DateTimeOffset now;
    private readonly int maxPayloadBytes;
    private readonly int maxJsonDepth;
    private readonly List<(string Name, Func<FuzzMessage> Make, int Weight)> generators;
    private int index;

    public PassageFuzzer(int seed, SitesFile sites, DateTimeOffset now, int maxPayloadBytes = DefaultMaxPayloadBytes, int maxJsonDepth = DefaultMaxJsonDepth)
    {
        random = new Random(seed);
        bores = sites.AllBores().Select(x => (x.Site.Id, x.Bore.Id, x.Bore.Lanes)).ToArray();
        siteIds = sites.Sites.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        this.now = now;
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxJsonDepth = maxJsonDepth;
        generators =
        [
            ("valid", Valid, 30),
            ("random-bytes", RandomBytes, 5),
            ("random-tokens", RandomTokens, 4),
            ("truncated", Truncated, 6),
            ("bit-flip", BitFlip, 8),
            ("byte-splice", ByteSplice, 4),
            ("delete-field", DeleteField, 6),
            ("type-swap", TypeSwap, 6),
            ("huge-number", HugeNumber, 4),
            ("out-of-range", OutOfRange, 4),
            ("bad-enum", BadEnum, 3),
            ("deep-nesting", DeepNesting, 3),
            ("giant-string", GiantString, 3),
            ("bad-topic", BadTopic, 4),
            ("bad-time", BadTime, 4),
            ("bad-plate", BadPlate, 4),
            ("unknown-place", UnknownPlace, 2),
            ("wrong-schema", WrongSchema, 2),
            ("duplicate-key", DuplicateKey, 2),
            ("unicode-junk", UnicodeJunk, 3),
        ];
    }

    public IReadOnlyList<string> Kinds => generators.Select(g => g.Name).ToArray();

    public IEnumerable<FuzzMessage> Generate(int count)
    {
        for (var i = 0; i < count; i++) yield return Next();
    }

    public FuzzMessage Next()
    {
        var total = generators.Sum(g => g.Weight);
        var pick = random.Next(total);
        foreach (var (_, make, weight) in generators)
        {
            if (pick < weight) return make();
            pick -= weight;
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>One valid passage as a mutable tree, and the topic it belongs on.</summary>
    public (string Topic, JsonObject Passage) ValidPassage()
    {
        var (site, bore, lanes) = bores[random.Next(bores.Length)];
        var portal = random.Next(2) == 0 ? "entry" : "exit";
        var lane = 1 + random.Next(lanes);
        var guid = new byte[16];
        random.NextBytes(guid);
        var captured = now - TimeSpan.FromSeconds(random.NextDouble() * TimeSpan.FromDays(6).TotalSeconds) + TimeSpan.FromSeconds(random.Next(60));
        var passage = new JsonObject
        {
            ["schema"] = "tunnel.passage.v1",
            ["eventId"] = new Guid(guid).ToString(),
            ["agentId"] = $"{site}-{bore}-{portal}-{lane}",
            ["seq"] = (long)random.Next(0, int.MaxValue) * (random.Next(3) == 0 ? 1000 : 1),
            ["site"] = site,
            ["bore"] = bore,
            ["portal"] = portal,
            ["lane"] = lane,
            ["cameraId"] = $"cam-{bore}-{portal}-{lane}",
            ["capturedAt"] = random.Next(4) == 0
                ? captured.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture)
                : captured.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        var plateRoll = random.Next(20);
        if (plateRoll == 0) passage["plate"] = null;
        else if (plateRoll > 1)
        {
            var text = PlateText();
            var plate = new JsonObject
            {
                ["text"] = text,
                ["color"] = colors[random.Next(colors.Length)],
                ["confidence"] = Confidence(),
            };
            if (random.Next(10) < 7)
                plate["charConfidences"] = new JsonArray(Enumerable.Range(0, new StringInfo(text).LengthInTextElements).Select(_ => (JsonNode?)Confidence()).ToArray());
            passage["plate"] = plate;
        }
        passage["vehicle"] = new JsonObject
        {
            ["class"] = classes[random.Next(classes.Length)],
            ["confidence"] = Confidence(),
            ["hazmat"] = random.Next(20) == 0,
            ["hazmatConfidence"] = Confidence(),
        };
        if (random.Next(3) == 0) passage["snapshot"] = $"tunnel/v1/{site}/{bore}/{portal}/snapshot/{passage["eventId"]}";
        if (random.Next(5) == 0) passage["receivedAt"] = passage["capturedAt"]!.GetValue<string>();
        if (random.Next(10) == 0) passage["x-vendor"] = new JsonObject { ["firmware"] = "4.2.1", ["exposure"] = new JsonArray(1, 2, 3) };
        return (PassageTopicOf(site, bore, portal), passage);
    }

    private static string PassageTopicOf(string site, string bore, string portal) => $"tunnel/v1/{site}/{bore}/{portal}/passage";

    private string PlateText()
    {
        var sb = new StringBuilder();
        if (random.Next(20) != 0) sb.Append(Tunnel.Core.Validation.PlateTextRule.Provinces[random.Next(Tunnel.Core.Validation.PlateTextRule.Provinces.Length)]);
        sb.Append(PlateLetters[random.Next(PlateLetters.Length)]);
        var body = random.Next(5) == 0 ? 6 : 5; // 6: new-energy (green) plates
        for (var i = 0; i < body; i++) sb.Append(PlateAlnum[random.Next(PlateAlnum.Length)]);
        if (random.Next(15) == 0) sb.Append("学挂警"[random.Next(3)]);
        return sb.ToString();
    }

    private double Confidence() => Math.Round(random.NextDouble(), 3);

    private FuzzMessage Make(string kind, string topic, byte[] payload, FuzzExpectation expect) => new(index++, kind, topic, payload, expect);

    private FuzzMessage Make(string kind, string topic, JsonObject passage, FuzzExpectation expect, params (string Placeholder, string Raw)[] raw)
    {
        var text = passage.ToJsonString(writeOptions);
        foreach (var (placeholder, rawJson) in raw) text = text.Replace($"\"{placeholder}\"", rawJson, StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(text);
        // However valid the mutation, a payload over the cap must be refused.
        if (bytes.Length > maxPayloadBytes) expect = FuzzExpectation.Reject;
        return Make(kind, topic, bytes, expect);
    }

    private byte[] ValidBytes(out string topic)
    {
        var (t, passage) = ValidPassage();
        topic = t;
        return Encoding.UTF8.GetBytes(passage.ToJsonString(writeOptions));
    }

    private FuzzMessage Valid()
    {
        var (topic, passage) = ValidPassage();
        return Make("valid", topic, passage, FuzzExpectation.Accept);
    }

    private FuzzMessage RandomBytes()
    {
        var bytes = new byte[random.Next(0, 600)];
        random.NextBytes(bytes);
        if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = (byte)'{';
        return Make("random-bytes", RandomTopic(), bytes, FuzzExpectation.Reject);
    }

    private FuzzMessage RandomTokens()
    {
        string[] tokens = ["{", "}", "[", "]", ",", ":", "\"schema\"", "\"tunnel.passage.v1\"", "\"plate\"", "\"text\"", "\"浙J12345\"", "null", "true", "1e309", "-0", "0.97", "\"\\u0000\"", "\"\\ud800\"", " ", "\"lane\"", "9", "\"seq\""];
        var sb = new StringBuilder();
        var n = random.Next(1, 80);
        for (var i = 0; i < n; i++) sb.Append(tokens[random.Next(tokens.Length)]);
        return Make("random-tokens", RandomTopic(), Encoding.UTF8.GetBytes(sb.ToString()), FuzzExpectation.Reject);
    }

    private FuzzMessage Truncated()
    {
        var bytes = ValidBytes(out var topic);
        // Any proper prefix of a compact JSON object lacks its closing brace.
        return Make("truncated", topic, bytes[..random.Next(bytes.Length)], FuzzExpectation.Reject);
    }

    private FuzzMessage BitFlip()
    {
        var bytes = ValidBytes(out var topic);
        var flips = 1 + random.Next(4);
        for (var i = 0; i < flips; i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        return Make("bit-flip", topic, bytes, FuzzExpectation.Either);
    }

    private FuzzMessage ByteSplice()
    {
        var bytes = ValidBytes(out var topic).ToList();
        var edits = 1 + random.Next(4);
        for (var i = 0; i < edits && bytes.Count > 0; i++)
        {
            var at = random.Next(bytes.Count);
            if (random.Next(2) == 0) bytes.RemoveAt(at);
            else bytes.Insert(at, (byte)random.Next(256));
        }
        return Make("byte-splice", topic, bytes.ToArray(), FuzzExpectation.Either);
    }

    /// <summary>Every field of the passage as (parent, name, required).</summary>
    private static List<(JsonObject Parent, string Name, bool Required)> Fields(JsonObject passage)
    {
        var fields = new List<(JsonObject, string, bool)>();
        foreach (var (name, _) in passage) fields.Add((passage, name, requiredTop.Contains(name)));
        if (passage["plate"] is JsonObject plate)
            foreach (var (name, _) in plate) fields.Add((plate, name, requiredPlate.Contains(name)));
        if (passage["vehicle"] is JsonObject vehicle)
            foreach (var (name, _) in vehicle) fields.Add((vehicle, name, requiredVehicle.Contains(name)));
        return fields;
    }

    private static bool IsKnown(JsonObject parent, JsonObject passage, string name) =>
        !ReferenceEquals(parent, passage) || requiredTop.Contains(name) || name is "plate" or "snapshot";

    private FuzzMessage DeleteField()
    {
        var (topic, passage) = ValidPassage();
        var fields = Fields(passage);
        var (parent, name, required) = fields[random.Next(fields.Count)];
        parent.Remove(name);
        return Make("delete-field", topic, passage, required ? FuzzExpectation.Reject : FuzzExpectation.Accept);
    }

    private FuzzMessage TypeSwap()
    {
        var (topic, passage) = ValidPassage();
        var fields = Fields(passage);
        var (parent, name, _) = fields[random.Next(fields.Count)];
        var original = parent[name];
        var originalKind = original?.GetValueKind() ?? JsonValueKind.Null;
        Func<JsonNode?>[] candidates = [() => 42, () => "swapped", () => true, () => null, () => new JsonObject(), () => new JsonArray(), () => 0.5];
        JsonNode? replacement;
        JsonValueKind kind;
        do
        {
            replacement = candidates[random.Next(candidates.Length)]();
            kind = replacement?.GetValueKind() ?? JsonValueKind.Null;
        }
        while (kind == originalKind || (originalKind is JsonValueKind.True or JsonValueKind.False && kind is JsonValueKind.True or JsonValueKind.False));
        parent[name] = replacement;
        FuzzExpectation expect;
        if (!IsKnown(parent, passage, name)) expect = FuzzExpectation.Accept; // extra fields are ignored
        else if (kind == JsonValueKind.Null && name is "plate" or "snapshot" or "charConfidences") expect = FuzzExpectation.Accept;
        else expect = FuzzExpectation.Reject;
        return Make("type-swap", topic, passage, expect);
    }

    private FuzzMessage HugeNumber()
    {
        var (topic, passage) = ValidPassage();
        string[] raws = ["1e400", "-1e400", "123456789012345678901234567890", "9223372036854775808", "9007199254740992", "-1", "1e-400", "3.4e38", "-0.0000001"];
        var raw = raws[random.Next(raws.Length)];
        string[] numeric = ["seq", "lane", "vehicle.confidence", "vehicle.hazmatConfidence"];
        var field = numeric[random.Next(numeric.Length)];
        var expect = FuzzExpectation.Reject;
        if (field == "seq" && raw is "1e-400") expect = FuzzExpectation.Either; // 1e-400 rounds to 0: mathematically not an integer, but no parser can tell
        if (field.StartsWith("vehicle.", StringComparison.Ordinal))
        {
            passage["vehicle"]![field["vehicle.".Length..]] = "__RAW__";
            if (raw == "1e-400") expect = FuzzExpectation.Either;
        }
        else passage[field] = "__RAW__";
        return Make("huge-number", topic, passage, expect, ("__RAW__", raw));
    }

    private FuzzMessage OutOfRange()
    {
        var (topic, passage) = ValidPassage();
        var lanes = bores.First(b => b.Site == passage["site"]!.GetValue<string>() && b.Bore == passage["bore"]!.GetValue<string>()).Lanes;
        switch (random.Next(6))
        {
            case 0: passage["lane"] = random.Next(2) == 0 ? 0 : -1; break;
            case 1: passage["lane"] = lanes + 1 + random.Next(8 - Math.Min(lanes, 7)); break;
            case 2: passage["seq"] = -1 - random.Next(1000); break;
            case 3: passage["vehicle"]!["confidence"] = 1.0001 + random.NextDouble(); break;
            case 4: passage["vehicle"]!["hazmatConfidence"] = -0.001 - random.NextDouble(); break;
            default:
                passage["plate"] = new JsonObject { ["text"] = "浙J12345", ["color"] = "blue", ["confidence"] = 0.9, ["charConfidences"] = new JsonArray(Enumerable.Range(0, 13).Select(_ => (JsonNode?)0.9).ToArray()) };
                break;
        }
        return Make("out-of-range", topic, passage, FuzzExpectation.Reject);
    }

    private FuzzMessage BadEnum()
    {
        var (topic, passage) = ValidPassage();
        switch (random.Next(4))
        {
            case 0: passage["portal"] = random.Next(2) == 0 ? "middle" : "Entry"; break;
            case 1: passage["vehicle"]!["class"] = "tank"; break;
            case 2: passage["plate"] = new JsonObject { ["text"] = "浙J12345", ["color"] = "purple", ["confidence"] = 0.9 }; break;
            default: passage["vehicle"]!["class"] = "Truck"; break;
        }
        return Make("bad-enum", topic, passage, FuzzExpectation.Reject);
    }

    private FuzzMessage DeepNesting()
    {
        var (topic, passage) = ValidPassage();
        // The root object is depth 1, so an extra field may nest maxJsonDepth - 1 more levels.
        var depth = random.Next(2) == 0 ? 1 + random.Next(maxJsonDepth - 2) : maxJsonDepth + random.Next(5000);
        var open = random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var raw = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var into = random.Next(3) == 0 ? "plate" : "x-nested";
        passage[into] = "__RAW__";
        var expect = depth >= maxJsonDepth || into == "plate" ? FuzzExpectation.Reject : FuzzExpectation.Accept;
        return Make("deep-nesting", topic, passage, expect, ("__RAW__", raw));
    }

    private FuzzMessage GiantString()
    {
        var (topic, passage) = ValidPassage();
        int[] sizes = [2_000, 20_000, 60_000, 70_000, 300_000];
        var size = sizes[random.Next(sizes.Length)];
        var text = new string(random.Next(2) == 0 ? 'A' : '浙', size);
        string[] targets = ["x-giant", "cameraId", "agentId", "snapshot", "site", "plate.text"];
        var target = targets[random.Next(targets.Length)];
        if (target == "plate.text") passage["plate"] = new JsonObject { ["text"] = text, ["color"] = "blue", ["confidence"] = 0.5 };
        else passage[target] = text;
        return Make("giant-string", topic, passage, target == "x-giant" ? FuzzExpectation.Accept : FuzzExpectation.Reject);
    }

    private FuzzMessage BadTopic()
    {
        var (topic, passage) = ValidPassage();
        var site = passage["site"]!.GetValue<string>();
        var bore = passage["bore"]!.GetValue<string>();
        var portal = passage["portal"]!.GetValue<string>();
        var other = portal == "entry" ? "exit" : "entry";
        string[] topics =
        [
            PassageTopicOf(site, bore, other),
            PassageTopicOf(site, bore == "north" ? "south" : "north", portal),
            PassageTopicOf("elsewhere", bore, portal),
            $"tunnel/v2/{site}/{bore}/{portal}/passage",
            $"tunnel/v1/{site}/{bore}/{portal}/status",
            $"tunnel/v1/{site}/{bore}/passage",
            $"tunnel/v1/{site}/{bore}/{portal}/passage/extra",
            $"tunnel/v1/{site.ToUpperInvariant()}/{bore}/{portal}/passage",
            "",
            "tunnel/v1/+/#",
            topic + "\0",
        ];
        return Make("bad-topic", topics[random.Next(topics.Length)], passage, FuzzExpectation.Reject);
    }

    private FuzzMessage BadTime()
    {
        var (topic, passage) = ValidPassage();
        string value = random.Next(4) switch
        {
            0 => (now + TimeSpan.FromMinutes(6 + random.Next(1_000_000))).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            1 => (now - TimeSpan.FromDays(7.01 + random.Next(3_000))).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            2 => new[] { "2026-02-30T08:00:00Z", "2026-11-02 08:15:42Z", "2026-11-02T08:15:42", "2026-13-01T00:00:00Z", "yesterday", "", "2026-11-02T24:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999-14:00" }[random.Next(9)],
            _ => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture).Replace('T', ' '),
        };
        passage["capturedAt"] = value;
        return Make("bad-time", topic, passage, FuzzExpectation.Reject);
    }

    private FuzzMessage BadPlate()
    {
        var (topic, passage) = ValidPassage();
        string[] texts = ["<script>", "浙J1234\n", "浙j12345", "浙J 12345", "浙J12&45", "浙J\"1234", "ＡＢ１２３", "XYZ浙", "浙浙", "蒋J12345", "浙J12345学警港", "\u0000\u0001", "浙J1234\u202e5", "🚗J12345"];
        var text = texts[random.Next(texts.Length)];
        var plate = new JsonObject { ["text"] = text, ["color"] = "blue", ["confidence"] = 0.9 };
        if (random.Next(2) == 0)
        {
            // A good text, but not one confidence per character.
            plate["text"] = "浙J12345";
            var count = random.Next(2) == 0 ? 6 : 8;
            plate["charConfidences"] = new JsonArray(Enumerable.Range(0, count).Select(_ => (JsonNode?)0.9).ToArray());
        }
        passage["plate"] = plate;
        return Make("bad-plate", topic, passage, FuzzExpectation.Reject);
    }

    private FuzzMessage UnknownPlace()
    {
        var (_, passage) = ValidPassage();
        var site = passage["site"]!.GetValue<string>();
        var bore = passage["bore"]!.GetValue<string>();
        if (random.Next(2) == 0)
        {
            var unknown = "nowhere";
            while (siteIds.Contains(unknown)) unknown += "x";
            site = unknown;
        }
        else bore = "bore-" + random.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        passage["site"] = site;
        passage["bore"] = bore;
        var portal = passage["portal"]!.GetValue<string>();
        return Make("unknown-place", PassageTopicOf(site, bore, portal), passage, FuzzExpectation.Reject);
    }

    private FuzzMessage WrongSchema()
    {
        var (topic, passage) = ValidPassage();
        string[] ids = ["tunnel.passage.v2", "tunnel.alarm.v1", "TUNNEL.PASSAGE.V1", "", "tunnel.passage.v1 "];
        passage["schema"] = ids[random.Next(ids.Length)];
        return Make("wrong-schema", topic, passage, FuzzExpectation.Reject);
    }

    private FuzzMessage DuplicateKey()
    {
        var bytes = ValidBytes(out var topic);
        var text = Encoding.UTF8.GetString(bytes);
        string[] dups = [",\"site\":\"elsewhere\"}", ",\"lane\":1}", ",\"eventId\":\"00000000-0000-0000-0000-000000000000\"}"];
        text = text[..^1] + dups[random.Next(dups.Length)];
        return Make("duplicate-key", topic, Encoding.UTF8.GetBytes(text), FuzzExpectation.Reject);
    }

    private FuzzMessage UnicodeJunk()
    {
        var (topic, passage) = ValidPassage();
        string[] junk = ["\u0000", "\u200b", "\ufeff", "é", "😀", "\u202e", "\\", "\"", "\r\n", "浙"];
        string[] fields = ["agentId", "cameraId", "snapshot", "x-note", "site"];
        var field = fields[random.Next(fields.Length)];
        var value = passage[field]?.GetValue<string>() ?? "";
        var inserted = junk[random.Next(junk.Length)];
        passage[field] = value.Insert(random.Next(value.Length + 1), inserted);
        var expect = field switch
        {
            "x-note" => FuzzExpectation.Accept,
            // A free-form reference, but never with control characters.
            "snapshot" => inserted.Any(char.IsControl) ? FuzzExpectation.Reject : FuzzExpectation.Accept,
            _ => FuzzExpectation.Reject,
        };
        return Make("unicode-junk", topic, passage, expect);
    }

    private string RandomTopic()
    {
        var (site, bore, _) = bores[random.Next(bores.Length)];
        return PassageTopicOf(site, bore, random.Next(2) == 0 ? "entry" : "exit");
    }
}
