using Tunnel.Central.Alarms;
using Tunnel.Central.Matching;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>
/// The weighing's shortcuts (terms worked out once per weighing, the bore's shortest transit kept,
/// loops in place of lambdas) must give exactly what the plain computation gives: alarms are compared
/// byte for byte across versions.
/// </summary>
public class HotPathEquivalenceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly BoreConfig Bore = SitesFile.Maoliling.Sites[0].Bores[0];

    [Fact]
    public void Change_point_cost_is_bit_for_bit_the_plain_computation()
    {
        var rng = new Random(11);
        var settings = new DetectorSettings();
        var lanes = new LaneDiscipline(settings);
        for (var learnt = 0; learnt < 40; learnt++) lanes.LearnOrder(rng.Next(1, 30), rng.Next(0, 3));
        var matcher = new BoreMatcher(Bore);
        var evidence = new OverdueEvidence(settings, matcher, lanes, _ => true);
        var compared = 0;
        for (var c = 0; c < 3000; c++)
        {
            var t = new Transit(Make(T0.AddSeconds(rng.NextDouble() * 100)));
            for (int i = 0, n = rng.Next(0, 9); i < n; i++) t.Passes.AddOwnLane(t.EnteredAt.AddSeconds(60 + rng.NextDouble() * 400));
            for (int i = 0, n = rng.Next(0, 11); i < n; i++)
            {
                var entered = t.EnteredAt.AddSeconds(rng.NextDouble() * 120);
                t.Passes.AddOtherLane(entered, entered.AddSeconds(40 + rng.NextDouble() * 300));
            }
            for (var k = 0; k < 5; k++)
            {
                var leftAt = t.EnteredAt.AddTicks((long)(rng.NextDouble() * 600 * TimeSpan.TicksPerSecond));
                var expected = Plain(t, leftAt, lanes);
                var actual = evidence.ChangePointCost(t, leftAt);
                Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"case {c}.{k}: {expected:R} != {actual:R}");
                compared++;
            }
        }
        Assert.Equal(15000, compared);
    }

    [Fact]
    public void The_shortest_transit_kept_is_the_one_derived_from_the_config()
    {
        Assert.Equal(Bore.NominalTransit / 1.6, new BoreMatcher(Bore).Shortest);
    }

    [Fact]
    public void The_lane_view_holds_the_lane_s_open_transits_in_entry_order()
    {
        var rng = new Random(5);
        var matcher = new BoreMatcher(Bore);
        var open = new List<Transit>();
        for (var i = 0; i < 500; i++)
        {
            if (open.Count > 0 && rng.Next(3) == 0)
            {
                var leaving = open[rng.Next(open.Count)];
                matcher.Drop(leaving);
                open.Remove(leaving);
            }
            else open.Add(matcher.Open(Make(T0.AddSeconds(i + rng.NextDouble() * 5), lane: rng.Next(1, Bore.Lanes + 1))));
            for (var lane = 1; lane <= Bore.Lanes; lane++)
                Assert.Equal(open.Where(x => x.Lane == lane).OrderBy(x => x.EnteredAt), matcher.OpenInLane(lane).ToArray());
        }
    }

    [Fact]
    public void Expiring_gaps_keeps_exactly_the_young_ones_in_their_order()
    {
        var rng = new Random(3);
        for (var c = 0; c < 200; c++)
        {
            var gaps = new SequenceGaps();
            for (int i = 0, n = rng.Next(0, 12); i < n; i++)
            {
                var from = T0.AddSeconds(rng.Next(0, 600));
                gaps.Open.Add(new Gap($"a{i}", i, i, 1, from, from.AddSeconds(rng.Next(0, 60)), 0.5));
            }
            var now = T0.AddSeconds(rng.Next(0, 900));
            var lifetime = TimeSpan.FromSeconds(rng.Next(0, 400));
            var expected = gaps.Open.Where(g => !(now - g.Until > lifetime)).ToList();
            gaps.Expire(now, lifetime);
            Assert.Equal(expected, gaps.Open);
        }
    }

    [Fact]
    public void Pooled_lists_come_empty_and_are_never_lent_twice_at_once()
    {
        var pool = new ListPool<int>(keep: 2);
        var a = pool.Take();
        a.AddRange([1, 2, 3]);
        var b = pool.Take();
        Assert.NotSame(a, b);
        pool.Give(a);
        var again = pool.Take();
        Assert.Same(a, again);
        Assert.Empty(again);
        var c = pool.Take();
        Assert.NotSame(again, c);
        Assert.NotSame(b, c);
        pool.Give(again); pool.Give(b); pool.Give(c); // one more than it keeps
        var kept = new[] { pool.Take(), pool.Take(), pool.Take() };
        Assert.Equal(2, kept.Count(l => l == again || l == b || l == c));
    }

    private static readonly double Tolerance = new DetectorSettings().ChangePointTolerance;

    /// <summary>ChangePointCost as it was written before its passer terms were hoisted out of the step loop.</summary>
    private static double Plain(Transit t, DateTimeOffset leftAt, LaneDiscipline lanes)
    {
        var transit = (leftAt - t.EnteredAt).TotalSeconds;
        var points = new List<(double At, int Change)>();
        var violated = 0;
        foreach (var passer in t.Passes.OtherLanePassers)
        {
            if (passer.LeftAt >= leftAt) continue;
            var later = (passer.EnteredAt - t.EnteredAt).TotalSeconds;
            var gained = transit - (passer.LeftAt - passer.EnteredAt).TotalSeconds;
            violated++;
            if (gained > later) points.Add((Math.Max(0, later / gained - Tolerance), -1));
        }
        var fastest = (Bore.NominalTransit / 1.6).TotalSeconds;
        foreach (var left in t.Passes.OwnLaneLeftTimes)
        {
            if (left >= leftAt) continue;
            var heldUntil = transit <= fastest ? 1 : ((left - t.EnteredAt).TotalSeconds - fastest) / (transit - fastest);
            if (heldUntil <= 0) violated++;
            else if (heldUntil + Tolerance < 1) points.Add((heldUntil + Tolerance, +1));
        }
        if (points.Count == 0) return violated * lanes.PassEvidence;
        points.Add((1, 0));
        // A stable sort by position, as the insertion sort is.
        var sorted = points.Select((p, i) => (p, i)).OrderBy(x => x.p.At).ThenBy(x => x.i).Select(x => x.p).ToList();
        var rate = lanes.OrderViolationRate;
        var power = Math.Pow(rate, violated);
        var likelihood = 0.0;
        var from = 0.0;
        foreach (var (at, change) in sorted)
        {
            likelihood += (at - from) * power;
            if (change > 0) power *= rate;
            else if (change < 0) power /= rate;
            from = at;
        }
        return -Math.Log(likelihood);
    }

    [Fact]
    public void The_congestion_count_read_from_the_lanes_entry_order_is_the_count_over_every_vehicle()
    {
        var rng = new Random(17);
        var settings = new DetectorSettings();
        var matcher = new BoreMatcher(Bore);
        var watch = new CongestionWatch(new BoreKey("maoliling", Bore.Id), settings, matcher, new AlarmBook(_ => { }));
        VehicleClass[] classes = [VehicleClass.Car, VehicleClass.Van, VehicleClass.Bus, VehicleClass.Truck];
        // Transit times learnt apart per kind, so the kinds' thresholds differ.
        foreach (var model in matcher.Times)
            for (int i = 0, n = rng.Next(30, 60), median = rng.Next(150, 400); i < n; i++)
                model.Add(TimeSpan.FromSeconds(median * (0.8 + 0.4 * rng.NextDouble())));
        var slowSeen = 0;
        for (var i = 0; i < 1500; i++)
        {
            var entered = T0.AddSeconds(i * 2 + rng.NextDouble() * 30);
            var t = matcher.Open(Make(entered, lane: rng.Next(1, Bore.Lanes + 1), classes[rng.Next(classes.Length)], hazmat: rng.Next(20) == 0));
            if (rng.Next(10) == 0) t.ProbableExit = new OrphanExit(Make(entered.AddMinutes(4), lane: 1));
            if (i % 25 != 0) continue;
            var now = entered.AddSeconds(rng.NextDouble() * 1200);
            // The alarm's hold also counts a vehicle inside twice the speed limit's transit, however usual that has become.
            foreach (var crawl in new TimeSpan?[] { null, Bore.NominalTransit * 2 })
            {
                watch.IsSlow(now, crawl, out var slow, out var recent);
                var (plainSlow, plainRecent) = (0, 0);
                foreach (var o in matcher.AllOpen)
                {
                    if (now - o.EnteredAt > TimeSpan.FromMinutes(20)) continue;
                    plainRecent++;
                    if (o.ProbableExit is null && (matcher.TimesFor(o).Surprise(now - o.EnteredAt) >= 4.5 || now - o.EnteredAt >= crawl)) plainSlow++;
                }
                Assert.Equal((plainSlow, plainRecent), (slow, recent));
                if (crawl is null) slowSeen += slow;
            }
        }
        Assert.True(slowSeen > 0, "no case had a slow vehicle: the comparison would prove nothing");
    }

    [Fact]
    public void The_table_search_answers_as_the_framework_s_binary_search_does()
    {
        var rng = new Random(23);
        for (var c = 0; c < 2000; c++)
        {
            // Sorted, with runs of equal values (where which index comes back depends on the search's steps).
            var table = Enumerable.Range(0, rng.Next(0, 60)).Select(_ => (double)rng.Next(0, 40) / 4).Order().ToArray();
            double[] probes = [.. table, .. Enumerable.Range(0, 20).Select(_ => rng.NextDouble() * 12 - 1), double.NaN, double.PositiveInfinity, double.NegativeInfinity];
            foreach (var value in probes)
                Assert.Equal(Array.BinarySearch(table, value), TransitTimeModel.Find(table, value));
        }
    }

    private static Passage Make(DateTimeOffset at, int lane = 1, VehicleClass vehicle = VehicleClass.Car, bool hazmat = false) => new()
    {
        EventId = Guid.NewGuid(), AgentId = "test", Seq = 1, Site = "maoliling", Bore = Bore.Id, Portal = Portal.Entry,
        Lane = lane, CameraId = "cam", CapturedAt = at, Plate = null, Vehicle = new VehicleRead { Class = vehicle, Hazmat = hazmat },
    };
}
