using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Link;
using Tunnel.Agent.Outbox;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>An agent whose numbers the central service's database no longer knows, against the real service.</summary>
public sealed class AgentNumberingTests(ITestOutputHelper output)
{
    private static readonly AgentIdentity Identity = new("maoliling", "north", Portal.Entry, 1, "maoliling-north-entry-1");

    [Fact]
    public async Task An_agent_acknowledged_by_a_database_since_replaced_has_its_new_passages_acknowledged_by_the_new_one()
    {
        using var dir = new TempDirectory();
        using var outbox = PassageOutbox.Open(Path.Combine(dir.Path, "agent"), Identity.AgentId);
        // The database before this one stored and acknowledged 1-3 (moved to PostgreSQL without the old rows, or restored
        // from last night's backup): the agent holds none of them any more.
        for (var i = 1; i <= 3; i++) outbox.Add(Passage($"浙J0000{i}"), snapshot: null);
        outbox.MarkNumberingKnown();
        outbox.Confirm(3);

        await using var host = await Hosts.StartAsync(Hosts.Embedded(Path.Combine(dir.Path, "central")), TestOutputLoggerProvider.Factory(output));
        var login = new BrokerLogin(host.BrokerHost, host.BrokerPort, Identity.AgentId, host.Credentials!.For(Identity.AgentId));
        await using var link = new AgentLink(Identity, login, outbox, TimeProvider.System, NullLogger.Instance) { StatusEvery = TimeSpan.FromSeconds(1) };
        link.Start();
        var kept = new[] { outbox.Add(Passage("浙J00004"), snapshot: null), outbox.Add(Passage("浙J00005"), snapshot: null) };
        link.Notify();

        // Without the agent's word that it holds nothing through 3, the new database would wait for 1-3 for ever, its
        // acknowledgement would stay at 0, and the outbox would never empty.
        await Wait.UntilAsync(() => outbox.Depth == 0, "the new passages acknowledged");
        Assert.Equal([4L, 5L], host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage)
            .Where(p => kept.Any(k => k.EventId == p.EventId)).Select(p => p.Seq).Order());
        Assert.Equal(5, host.Store.HighestStoredSeq(Identity.AgentId));
        Assert.Equal(3, host.Service.SeqsNoLongerAwaited);
    }

    private static Passage Passage(string plate) => new()
    {
        EventId = Guid.Empty, AgentId = Identity.AgentId, Seq = 0, Site = "maoliling", Bore = "north", Portal = Portal.Entry, Lane = 1,
        CameraId = "cam-north-entry-1", CapturedAt = DateTimeOffset.UtcNow,
        Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.95 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
    };
}
