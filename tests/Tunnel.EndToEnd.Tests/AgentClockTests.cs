using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Link;
using Tunnel.Agent.Outbox;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>An edge box whose clock is off, as one without a time server keeps it, against the real central service.</summary>
public sealed class AgentClockTests(ITestOutputHelper output)
{
    private static readonly AgentIdentity Identity = new("maoliling", "north", Portal.Entry, 1, "maoliling-north-entry-1");

    [Fact]
    public async Task An_agent_seven_minutes_fast_is_set_by_the_central_service_as_it_connects_and_its_passages_are_taken()
    {
        using var dir = new TempDirectory();
        await using var host = await Hosts.StartAsync(Hosts.Embedded(Path.Combine(dir.Path, "central")), TestOutputLoggerProvider.Factory(output));
        using var outbox = PassageOutbox.Open(Path.Combine(dir.Path, "agent"), Identity.AgentId);
        var login = new BrokerLogin(host.BrokerHost, host.BrokerPort, Identity.AgentId, host.Credentials!.For(Identity.AgentId));
        await using var link = new AgentLink(Identity, login, outbox, new SkewedClock(TimeSpan.FromMinutes(7)), NullLogger.Instance)
        {
            StatusEvery = TimeSpan.FromSeconds(1),
        };

        // Stamped on its own clock, a passage would be 7 minutes in the future for the service, beyond the 5 it allows.
        Assert.True(link.ServiceClock.GetUtcNow() > DateTimeOffset.UtcNow.AddMinutes(5));
        link.Start();
        // The status it sends on connecting is acknowledged, and the acknowledgement carries the service's time: set before any passage.
        await Wait.UntilAsync(() => link.ServiceClock.Synchronised, "the agent's clock set by the central service");
        Assert.InRange((link.ServiceClock.GetUtcNow() - DateTimeOffset.UtcNow).TotalSeconds, -1, 1);

        var capturedAt = link.ServiceClock.GetUtcNow();
        var kept = outbox.Add(new Passage
        {
            EventId = Guid.Empty, AgentId = Identity.AgentId, Seq = 0, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
            Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = capturedAt,
            Plate = new PlateRead { Text = "浙J12345", Color = PlateColor.Blue, Confidence = 0.95 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
        }, snapshot: null);
        link.Notify();
        await Wait.UntilAsync(() => outbox.Depth == 0, "the passage confirmed");

        var stored = Assert.Single(host.Store.ReadPassages(DateTimeOffset.MinValue), p => p.Passage.EventId == kept.EventId);
        Assert.Equal(capturedAt.ToUnixTimeMilliseconds(), stored.Passage.CapturedAt.ToUnixTimeMilliseconds());
        Assert.Equal(0, host.Service.Snapshot.DeadLettered);
        // Maintenance still sees how far off the box's own clock is, from the status it sends next.
        await Wait.UntilAsync(() => host.Service.Snapshot.Agents.Any(a => a.AgentId == Identity.AgentId && a.ClockOffsetMs is < -6 * 60_000),
            "the agent's status with its clock offset");
    }

    private sealed class SkewedClock(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + skew;
    }
}
