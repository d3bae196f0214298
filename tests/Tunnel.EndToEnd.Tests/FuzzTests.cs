using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Tests.Fuzzing;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Mqtt;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>The fuzz generator's messages through a real broker into the real service: nothing crashes it, nothing gets lost.</summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Messages = 10_400;
    private const int MinDelivered = 10_000;
    private const int BrokerMaxPacket = 256 * 1024;

    [Fact]
    public async Task Ten_thousand_fuzzed_messages_through_mosquitto_are_each_either_stored_or_dead_lettered_and_the_service_stays_up()
    {
        using var dir = new TempDirectory();
        var passwords = new Dictionary<string, string> { ["central"] = "central-secret", ["fuzzer"] = "fuzzer-secret" };
        // The test's own broker: a user that may publish anywhere (the embedded one gives agents only their own
        // topics), and no save on every change, which would make 10,000 messages take a minute.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            DataDirectory = dir.Sub("broker"), Users = passwords, SaveOnEveryChange = false, MaxPacketSize = BrokerMaxPacket,
        });
        await using var host = await Hosts.StartAsync(Hosts.External(dir.Sub("central"), broker, "central", passwords["central"]),
            TestOutputLoggerProvider.Factory(output));

        await using var publisher = new MqttClient(new MqttClientOptions
        {
            Host = broker.Host, Port = broker.Port, ClientId = "e2e-fuzzer", Username = "fuzzer", Password = passwords["fuzzer"], MaxInflight = 100,
        });
        await publisher.ConnectAsync();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var fuzz = new PassageFuzzer(seed: 20261102, SitesFile.Maoliling, DateTimeOffset.UtcNow).Generate(Messages).ToList();
        var sends = fuzz.Select(m => (Message: m, Sent: publisher.PublishAsync(m.Topic, m.Payload, 1))).ToList();
        var delivered = new List<FuzzMessage>();
        var refused = new List<(FuzzMessage Message, Exception Error)>();
        foreach (var (message, sent) in sends)
        {
            try
            {
                await sent.WaitAsync(Wait.Deadline);
                // Published: the broker forwards it if the service's subscription covers the topic.
                if (Subscribed(EffectiveTopic(message.Topic))) delivered.Add(message);
            }
            catch (Exception e) when (e is MqttException or ArgumentException)
            {
                refused.Add((message, e));
            }
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: all published (service has {host.Service.Snapshot.Accepted + host.Service.Snapshot.DeadLettered})");
        // Refused before the service: only what MQTT itself cannot carry.
        Assert.All(refused, r => Assert.True(r.Message.Payload.Length > BrokerMaxPacket - 1024 || r.Message.Topic.Length == 0 || r.Message.Topic.Contains('+') || r.Message.Topic.Contains('#'),
            $"refused without cause: {r.Message} ({r.Error.Message})"));
        Assert.True(delivered.Count >= MinDelivered, $"only {delivered.Count} of {Messages} messages reached the service's topics");

        // A valid message behind them all from the same publisher: the broker keeps one publisher's order,
        // so once the service has it, it has consumed everything delivered before it.
        var sentinel = Sentinel();
        await publisher.PublishAsync(sentinel.Topic, Encoding.UTF8.GetBytes(TunnelJson.Serialize(sentinel.Passage)), 1);
        // Looked up by event id: the sentinel's agent is one the fuzz run publishes as too, with seqs of its own.
        await Wait.UntilAsync(() => host.Store.ReadPassages(sentinel.Passage.CapturedAt.AddSeconds(-1), sentinel.Passage.CapturedAt.AddSeconds(1), new BoreKey("maoliling", "south"))
                .Any(p => p.Passage.EventId == sentinel.Passage.EventId), "the sentinel stored after the fuzz run",
            TimeSpan.FromSeconds(60));
        var snapshot = await Wait.UntilAsync(() => host.Service.Snapshot is var s && s.Accepted + s.Duplicates + s.DeadLettered == delivered.Count + 1 && s.StoreBacklog == 0 ? s : null,
            $"the service counting {delivered.Count + 1} messages");

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: all consumed");
        // Alive: the loop still runs and health says so.
        Assert.False(host.Loop.IsCompleted, "the service loop stopped");
        using (var http = new HttpClient { BaseAddress = Hosts.HttpBase(host) })
        {
            var health = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("running", body.RootElement.GetProperty("loop").GetString());
        }

        // Every delivered message accounted for, one by one: a dead letter with its topic and bytes, or a stored passage.
        var stored = host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId).ToHashSet();
        var letters = host.Store.ReadDeadLetters(delivered.Count + 10);
        Assert.Equal(snapshot.DeadLettered, letters.Count);
        Assert.Equal(snapshot.DeadLettered, host.Store.DeadLetterCountsByReason().Values.Sum());
        Assert.Equal(snapshot.Accepted, stored.Count);
        // Past its source's budget a dead letter keeps no payload: those are matched by topic and size, once the rest are.
        var unkept = letters.Where(PayloadNotKept).ToList();
        var unmatchedLetters = letters.Except(unkept).GroupBy(l => LetterKey(l.Topic, l.Payload, l.OriginalLength ?? l.Payload.Length)).ToDictionary(g => g.Key, g => g.Count());
        var unmatchedUnkept = unkept.GroupBy(l => (l.Topic, l.OriginalLength)).ToDictionary(g => g.Key, g => g.Count());
        var acceptedIds = new HashSet<Guid>();
        var lost = new List<FuzzMessage>();
        var disagreements = new List<string>();
        var secondLook = new List<FuzzMessage>();
        foreach (var message in delivered)
        {
            var key = LetterKey(EffectiveTopic(message.Topic), Cut(message.Payload), message.Payload.Length);
            if (unmatchedLetters.TryGetValue(key, out var n) && n > 0)
            {
                unmatchedLetters[key] = n - 1;
                Judge(message, accepted: false);
            }
            else if (EventId(message.Payload) is { } id && stored.Contains(id) && acceptedIds.Add(id)) Judge(message, accepted: true);
            else secondLook.Add(message);
        }
        foreach (var message in secondLook)
        {
            var key = (EffectiveTopic(message.Topic), (int?)message.Payload.Length);
            if (unmatchedUnkept.TryGetValue(key, out var n) && n > 0)
            {
                unmatchedUnkept[key] = n - 1;
                Judge(message, accepted: false);
            }
            else lost.Add(message);
        }

        void Judge(FuzzMessage message, bool accepted)
        {
            // The fuzzer's verdict, where it has one, must be the service's; a NUL cuts the topic short in C, so those are left out.
            if (!message.Topic.Contains('\0') && (message.Expect, accepted) is (FuzzExpectation.Accept, false) or (FuzzExpectation.Reject, true))
                disagreements.Add($"{(accepted ? "accepted" : "dead-lettered")}: {message}");
        }

        Assert.All(unmatchedUnkept, kv => Assert.True(kv.Value == 0, "a dead letter without payload that matches no message published"));
        // The budget held and was used: no source kept more payloads in a minute than it allows, and the dropped ones are counted.
        Assert.NotEmpty(unkept);
        Assert.Equal(unkept.Count, host.Service.DeadLetterPayloadsDropped);
        Assert.All(letters.Except(unkept).GroupBy(l => (Source: l.AgentId ?? string.Join('/', l.Topic.Split('/').Take(5)), Minute: l.ReceivedAt.UtcTicks / TimeSpan.TicksPerMinute)),
            g => Assert.True(g.Count() <= DeadLetterBudget.DefaultPayloadsPerMinute, $"{g.Key} kept {g.Count()} payloads"));
        Assert.True(lost.Count == 0, $"{lost.Count} delivered messages neither stored nor dead-lettered, e.g. {lost.FirstOrDefault()}");
        Assert.All(unmatchedLetters, kv => Assert.True(kv.Value == 0, "a dead letter that matches no message published"));
        Assert.Equal(stored.Count - 1, acceptedIds.Count); // all stored but the sentinel came from the fuzz run
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} verdicts differ from the fuzzer's: {string.Join("\n", disagreements.Take(5))}");

        output.WriteLine($"published {Messages}, refused by MQTT {refused.Count}, outside the subscription {Messages - refused.Count - delivered.Count}, " +
            $"delivered {delivered.Count}: accepted {snapshot.Accepted - 1}, duplicates {snapshot.Duplicates}, dead-lettered {snapshot.DeadLettered} ({unkept.Count} of them without payload, over their source's budget)");
        foreach (var (reason, count) in host.Store.DeadLetterCountsByReason().OrderByDescending(kv => kv.Value)) output.WriteLine($"  {reason}: {count}");
        Assert.True(snapshot.Accepted > 1000 && snapshot.DeadLettered > 1000, "the run should have both verdicts in numbers");
    }

    private static bool PayloadNotKept(Storage.DeadLetter letter) => letter.Payload.Length == 0 && letter.Reason.Contains("(payload not kept:");

    /// <summary>libmosquitto takes the topic as a C string: it ends at the first NUL.</summary>
    private static string EffectiveTopic(string topic) => topic.IndexOf('\0') is var nul and >= 0 ? topic[..nul] : topic;

    /// <summary>Whether the service's subscription tunnel/v1/+/+/+/passage matches <paramref name="topic"/>.</summary>
    private static bool Subscribed(string topic) => topic.Split('/') is ["tunnel", "v1", _, _, _, "passage"];

    private static byte[] Cut(byte[] payload) =>
        payload.Length > Storage.DeadLetter.MaxStoredPayloadBytes ? payload[..Storage.DeadLetter.MaxStoredPayloadBytes] : payload;

    private static string LetterKey(string topic, byte[] storedPayload, int length) =>
        $"{topic}\n{length}\n{Convert.ToHexString(SHA256.HashData(storedPayload))}";

    private static Guid? EventId(byte[] payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("eventId", out var id)
                && id.ValueKind == JsonValueKind.String && id.TryGetGuid(out var guid) ? guid : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (string Topic, Passage Passage) Sentinel()
    {
        var passage = new Passage
        {
            EventId = Guid.NewGuid(), AgentId = "maoliling-south-exit-2", Seq = 1, Site = "maoliling", Bore = "south", Portal = Portal.Exit,
            Lane = 2, CameraId = "cam-sentinel", CapturedAt = DateTimeOffset.UtcNow, Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9 },
        };
        return (Topics.Passage("maoliling", "south", Portal.Exit), passage);
    }
}
