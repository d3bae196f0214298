using Tunnel.Cli.Demo;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Cli.Tests;

public class TrafficFeedTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static StopTruth Stop(TimeSpan after, TimeSpan lasting) => new()
    {
        Site = "maoliling", Bore = "north", VehicleId = 1, TruePlate = "浙J12345", EntryEventId = Guid.NewGuid(), Lane = 2,
        Class = VehicleClass.Truck, Hazmat = false, EnteredAt = Now + after - TimeSpan.FromMinutes(1), StoppedAt = Now + after,
        ResumedAt = Now + after + lasting, ExitedAt = Now + after + lasting + TimeSpan.FromMinutes(1), PositionMeters = 1800,
        FollowersPassed = 0, JudgedByCongestion = false,
    };

    [Fact]
    public void Pre_roll_puts_the_first_long_stop_just_ahead_of_the_start()
    {
        var options = new DemoTrafficOptions();
        var stops = new[] { Stop(TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(2)), Stop(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)) };
        Assert.Equal(TimeSpan.FromMinutes(5) - options.ShowStopAfter, TrafficFeed.ChoosePreRoll(stops, Now, options));
    }

    [Fact]
    public void Pre_roll_stays_within_its_bounds()
    {
        var options = new DemoTrafficOptions();
        Assert.Equal(options.MinPreRoll, TrafficFeed.ChoosePreRoll([Stop(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10))], Now, options));
        Assert.Equal(options.MinPreRoll, TrafficFeed.ChoosePreRoll([], Now, options));
        // No long stop in reach: the first stop of any length, as far as the pre-roll may go.
        Assert.Equal(options.MaxPreRoll, TrafficFeed.ChoosePreRoll([Stop(TimeSpan.FromMinutes(50), TimeSpan.FromMinutes(3))], Now, options));
    }

    [Theory]
    [InlineData(9, 17, 8)]
    [InlineData(9, 3, -6)]
    [InlineData(23, 1, 2)]
    [InlineData(1, 22, -3)]
    public void Offset_for_a_local_hour(int utcHour, int localHour, int expectedOffsetHours)
    {
        var now = new DateTimeOffset(2026, 11, 2, utcHour, 37, 0, TimeSpan.Zero);
        var offset = TrafficFeed.OffsetShowingHour(now, localHour);
        Assert.Equal(TimeSpan.FromHours(expectedOffsetHours), offset);
        Assert.Equal(localHour, now.ToOffset(offset).Hour);
    }

    [Fact]
    public void Agents_number_their_passages_in_capture_order_and_deliver_none_before_capture()
    {
        var feed = new TrafficFeed(SitesFile.Maoliling, new DemoTrafficOptions { Seed = 3, LocalHour = 8 }, Now);
        Assert.InRange(feed.PreRoll, new DemoTrafficOptions().MinPreRoll, new DemoTrafficOptions().MaxPreRoll);
        var seq = new Dictionary<string, long>();
        Passage Capture(string agent, Passage p) => p with { Seq = seq[agent] = seq.GetValueOrDefault(agent) + 1 };

        var delivered = new List<(DateTimeOffset At, string Agent, Passage Passage)>();
        for (var t = Now; t <= Now + TimeSpan.FromMinutes(15); t += TimeSpan.FromSeconds(7))
            delivered.AddRange(feed.Advance(t, Capture).Select(d => (t, d.AgentId, d.Passage)));
        delivered.AddRange(feed.CapturedButUndelivered(Now + TimeSpan.FromMinutes(15), Capture).Select(d => (Now + TimeSpan.FromMinutes(15), d.AgentId, d.Passage)));

        Assert.NotEmpty(delivered);
        Assert.All(delivered, d => Assert.True(d.Passage.CapturedAt <= d.At));
        // The pre-roll's passages come at once, at the start.
        Assert.Contains(delivered, d => d.At == Now && d.Passage.CapturedAt < Now - TimeSpan.FromMinutes(2));
        foreach (var agent in delivered.GroupBy(d => d.Agent))
        {
            var byCapture = agent.OrderBy(d => d.Passage.CapturedAt).Select(d => d.Passage.Seq).ToList();
            Assert.Equal(byCapture.Order(), byCapture);
            // Nothing captured is left behind: the numbers run 1..n without a gap.
            Assert.Equal(Enumerable.Range(1, byCapture.Count).Select(i => (long)i), byCapture.Order());
        }
    }
}
