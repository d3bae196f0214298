using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Link;
using Tunnel.Agent.Outbox;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>The central service's bound on snapshots waiting for their passage, against honest agents at their busiest.</summary>
public sealed class SnapshotReplayTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_lane_agents_of_one_portal_replaying_their_outboxes_after_an_outage_keep_every_picture()
    {
        // Far more than the portal's bound on pictures whose passage has not come (256): each agent sends each snapshot just
        // before its passage, at most a window of them ahead, however long its outbox.
        const int perAgent = 400;
        using var dir = new TempDirectory();
        var agents = new[] { 1, 2 }.Select(lane => new AgentIdentity("maoliling", "north", Portal.Entry, lane, $"maoliling-north-entry-{lane}")).ToList();
        var outboxes = agents.Select(a => PassageOutbox.Open(Path.Combine(dir.Path, a.AgentId), a.AgentId)).ToList();
        var sent = new Dictionary<Guid, byte[]>();
        // Captured while the central service was out of reach.
        var outageStart = DateTimeOffset.UtcNow.AddMinutes(-2);
        foreach (var (agent, outbox) in agents.Zip(outboxes))
            for (var i = 0; i < perAgent; i++)
            {
                var jpeg = Jpeg(agent.Lane, i);
                var p = outbox.Add(Passage(agent, outageStart.AddMilliseconds(i * 250), $"浙A{agent.Lane}{i:D4}"), jpeg);
                sent[p.EventId] = jpeg;
            }

        await using var host = await Hosts.StartAsync(Hosts.Embedded(Path.Combine(dir.Path, "central")), TestOutputLoggerProvider.Factory(output));
        var links = agents.Zip(outboxes).Select(x => new AgentLink(x.First,
            new BrokerLogin(host.BrokerHost, host.BrokerPort, x.First.AgentId, host.Credentials!.For(x.First.AgentId)), x.Second,
            TimeProvider.System, NullLogger.Instance)).ToList();
        try
        {
            foreach (var link in links) link.Start();
            await Wait.UntilAsync(() => outboxes.All(o => o.Depth == 0), "both outboxes acknowledged", TimeSpan.FromMinutes(2));

            Assert.DoesNotContain(host.Service.Snapshot.RejectedByReason, r => r.Key.Contains("snapshot"));
            Assert.Equal(2 * perAgent, sent.Count(s => host.Snapshots.Load(s.Key) is { } kept && kept.AsSpan().SequenceEqual(s.Value)));
        }
        finally
        {
            foreach (var link in links) await link.DisposeAsync();
            foreach (var outbox in outboxes) outbox.Dispose();
        }
    }

    private static byte[] Jpeg(int lane, int i)
    {
        var jpeg = new byte[1500];
        BitConverter.GetBytes(lane * 100_000 + i).CopyTo(jpeg, 2);
        (jpeg[0], jpeg[1], jpeg[^2], jpeg[^1]) = (0xFF, 0xD8, 0xFF, 0xD9);
        return jpeg;
    }

    private static Passage Passage(AgentIdentity agent, DateTimeOffset capturedAt, string plate) => new()
    {
        EventId = Guid.Empty, AgentId = agent.AgentId, Seq = 0, Site = agent.Site, Bore = agent.Bore, Portal = agent.Portal, Lane = agent.Lane,
        CameraId = $"cam-north-entry-{agent.Lane}", CapturedAt = capturedAt,
        Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.95 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
    };
}
