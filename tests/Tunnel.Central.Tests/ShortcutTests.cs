using Tunnel.Central.Engine;
using Tunnel.Central.Matching;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>The engine's shortcuts for speed must decide exactly as the computations they stand for.</summary>
public sealed class ShortcutTests
{
    [Fact]
    public void The_transit_time_fit_kept_in_order_gives_the_median_and_spread_of_a_full_sort()
    {
        var model = new TransitTimeModel(TimeSpan.FromSeconds(160));
        var rng = new Random(3);
        var logs = new List<double>();
        var compared = 0;
        for (var n = 1; n <= 1000; n++)
        {
            // Few distinct values at times: ties are where an order kept by hand goes wrong.
            var seconds = n % 3 == 0 ? 150 + rng.Next(4) * 10 : 120 + 100 * rng.NextDouble();
            var transit = TimeSpan.FromSeconds(seconds);
            model.Add(transit);
            logs.Add(Math.Log(transit.TotalSeconds));
            if (n < 27 || (n - 27) % 8 != 0) continue; // the model fits every eighth transit once it has twenty
            var window = logs.TakeLast(160).Order().ToArray();
            var median = window[window.Length / 2];
            var mad = window.Select(x => Math.Abs(x - median)).Order().ElementAt(window.Length / 2);
            Assert.Equal(TimeSpan.FromSeconds(Math.Exp(median)), model.Median);
            Assert.Equal(Math.Max(0.1, 1.4826 * mad), model.Sigma);
            compared++;
        }
        Assert.True(compared > 100);
    }

    [Fact]
    public void The_survival_read_from_its_table_is_e_to_the_minus_surprise_within_a_tenth_of_a_percent()
    {
        var model = new TransitTimeModel(TimeSpan.FromSeconds(160));
        var rng = new Random(5);
        for (var i = 0; i < 200; i++) model.Add(TimeSpan.FromSeconds(140 + 40 * rng.NextDouble()));
        for (var seconds = 1.0; seconds < 2000; seconds *= 1.01)
        {
            var elapsed = TimeSpan.FromSeconds(seconds);
            var exact = Math.Exp(-model.Surprise(elapsed));
            Assert.InRange(model.Survival(elapsed), exact * 0.999 - 1e-12, exact * 1.001 + 1e-12);
        }
    }

    [Theory]
    [InlineData(4.5)]
    [InlineData(1.0)]
    [InlineData(9.0)]
    public void Reaches_agrees_with_the_surprise_it_stands_for(double level)
    {
        var model = new TransitTimeModel(TimeSpan.FromSeconds(160));
        var rng = new Random(5);
        for (var fit = 0; fit < 4; fit++)
        {
            for (var i = 0; i < 40; i++) model.Add(TimeSpan.FromSeconds(150 + 40 * rng.NextDouble() + 30 * fit));
            for (var ms = 0; ms < 3_000_000; ms += 37)
            {
                var elapsed = TimeSpan.FromMilliseconds(ms);
                Assert.Equal(model.Surprise(elapsed) >= level, model.Reaches(elapsed, level));
            }
        }
    }

    [Fact]
    public void The_time_the_clock_reaches_a_surprise_is_never_early_and_at_most_a_few_tens_of_milliseconds_late()
    {
        var model = new TransitTimeModel(TimeSpan.FromSeconds(160));
        var rng = new Random(9);
        for (var i = 0; i < 100; i++) model.Add(TimeSpan.FromSeconds(150 + 40 * rng.NextDouble()));
        for (var level = 0.75; level < 30; level += 0.0137) // below ln 2 it jumps at the median
        {
            var due = model.ElapsedForSurprise(level);
            // A look scheduled then must find the level reached: short of it, the vehicle waits for the next look.
            Assert.True(model.Surprise(due) >= level, $"surprise {model.Surprise(due)} at {due} short of {level}");
            Assert.True(model.Surprise(due - TimeSpan.FromMilliseconds(50)) < level, $"{due} late for {level}");
        }
    }

    [Fact]
    public void An_exit_fit_asked_for_below_a_bound_is_exact_under_it_and_above_it_otherwise()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        var rng = new Random(11);
        string Plate() => $"浙{(char)('A' + rng.Next(6))}{rng.Next(100000):D5}";
        for (var i = 0; i < 40; i++)
            traffic.Entry(t + i * 3, rng.Next(10) == 0 ? null : Plate(), lane: 1 + i % 2, cls: i % 3 == 0 ? VehicleClass.Truck : VehicleClass.Car);
        var bore = traffic.North;
        var evidence = new OverdueEvidence(new DetectorSettings(), bore.Matcher, bore.Lanes, _ => true);
        var inside = bore.Matcher.AllOpen.ToList();
        var exits = new List<OrphanExit>();
        foreach (var vehicle in inside.Where(v => v.Plate is not null).Take(15))
        {
            // Its own plate with one character misread, and with two.
            var text = vehicle.Plate!.Text.ToCharArray();
            text[3] = text[3] == '8' ? 'B' : '8';
            exits.Add(new OrphanExit(traffic.Exit(t + 200 + exits.Count, new string(text), lane: vehicle.Lane, deliver: false)));
            text[5] = text[5] == '1' ? '7' : '1';
            exits.Add(new OrphanExit(traffic.Exit(t + 200 + exits.Count, new string(text), lane: 3 - vehicle.Lane, deliver: false)));
        }
        exits.Add(new OrphanExit(traffic.Exit(t + 260, null, lane: 1, deliver: false)));
        var cut = 0;
        foreach (var vehicle in inside)
            foreach (var exit in exits)
            {
                var full = evidence.ExplainCost(vehicle, exit);
                for (var above = 0.0; above <= 20; above += 0.25)
                {
                    var bounded = evidence.ExplainCost(vehicle, exit, above);
                    if (full <= above) Assert.Equal(full, bounded);
                    else
                    {
                        Assert.True(bounded > above, $"{vehicle} / {exit.Passage.Plate?.Text}: {bounded} not above {above} (full {full})");
                        if (bounded != full) cut++;
                    }
                }
            }
        Assert.True(cut > 0, "no fit was ever cut short: the test does not reach the shortcut");
    }

    [Fact]
    public void The_recent_ids_table_remembers_and_forgets_as_a_set_with_a_queue_does()
    {
        var rememberFor = TimeSpan.FromMinutes(10);
        var table = new RecentIds(rememberFor);
        // The engine's old bookkeeping: a set, and a queue of (taken at, id) emptied of the old after each taking.
        var set = new HashSet<Guid>();
        var order = new Queue<(DateTimeOffset At, Guid Id)>();
        var rng = new Random(7);
        var ids = new List<Guid>();
        var now = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
        int repeats = 0, forgotten = 0;
        for (var n = 0; n < 300_000; n++)
        {
            // Busy hours, quiet hours and the odd long silence: the table grows, shrinks and is rebuilt.
            now += TimeSpan.FromMilliseconds(rng.Next(n % 100_000 < 50_000 ? 20 : 2_000)) + (rng.Next(20_000) == 0 ? rememberFor : TimeSpan.Zero);
            var again = ids.Count > 0 && rng.Next(4) == 0;
            var id = again ? ids[rng.Next(Math.Max(0, ids.Count - 5_000), ids.Count)] : Guid.NewGuid();
            ids.Add(id);
            var expected = set.Add(id);
            if (expected)
            {
                order.Enqueue((now, id));
                while (order.TryPeek(out var oldest) && now - oldest.At > rememberFor) set.Remove(order.Dequeue().Id);
            }
            else repeats++;
            if (expected && again) forgotten++;
            Assert.Equal(expected, table.Add(id, now));
            var probe = ids[rng.Next(Math.Max(0, ids.Count - 20_000), ids.Count)];
            Assert.Equal(set.Contains(probe), table.Contains(probe));
        }
        Assert.True(repeats > 10_000 && forgotten > 1_000, $"{repeats} repeats, {forgotten} taken again once forgotten");
    }

    [Fact]
    public void Lane_discipline_keeps_its_rates_logarithms_and_powers_as_worked_out_afresh()
    {
        var lanes = new LaneDiscipline(new DetectorSettings());
        var rng = new Random(9);
        for (var i = 0; i < 5_000; i++)
        {
            if (rng.Next(2) == 0) lanes.LearnOrder(rng.Next(-1, 50), rng.Next(3));
            else lanes.LearnLane(rng.Next(10) == 0);
            var rate = lanes.OrderViolationRate;
            Assert.Equal(-Math.Log(rate), lanes.PassEvidence);
            Assert.Equal(-Math.Log(lanes.LaneChangeRate), lanes.LaneChangeCost);
            var k = rng.Next(2 * PassLog.Keep + 3);
            Assert.Equal(Math.Pow(rate, k), lanes.OrderViolationPower(k));
            Assert.Equal(Math.Pow(rate, k), lanes.OrderViolationPower(k));
        }
    }
}
