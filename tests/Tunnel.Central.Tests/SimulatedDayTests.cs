using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;
using Tunnel.Simulation.Evaluation;

namespace Tunnel.Central.Tests;

/// <summary>The engine over a whole simulated day, scored as <c>tunnel evaluate</c> scores it.</summary>
public sealed class SimulatedDayTests
{
    /// <summary>
    /// Seed 6 was never used to tune the detector. Three of its stops once went unalarmed: the stopped
    /// vehicle was closed on an unread exit of the other lane that a vehicle entering after it fitted
    /// far better, and that vehicle was then missing an exit instead. Seeds 34 and 94 each had one such
    /// stop, of 6 and 39 minutes, one step further removed: the vehicle missing an exit took another's
    /// unread exit, and only that one, with it, was alarmed (<c>BoreMonitor.SpentExitsThatMatter</c>).
    /// </summary>
    [Theory]
    [InlineData(6)]
    [InlineData(34)]
    [InlineData(94)]
    public void Every_stop_of_a_day_whose_entry_plate_was_read_is_alarmed_before_the_vehicle_leaves(int seed)
    {
        var (_, report) = Replayed(seed);
        var stops = report.Overall.ReadStops;
        Assert.True(stops.Total >= 20, $"only {stops.Total} stops simulated");
        Assert.True(stops.Detected == stops.Total, report.Format());
    }

    /// <summary>
    /// Seed 82: the slowdown came fifteen minutes into a 45-minute stop at the morning peak. The transit models had
    /// learnt from the queue squeezing past the stopped vehicle, so the slowdown's vehicles looked usual to them, and
    /// no congestion alarm came; every lane crawling at three times the speed limit's transit now raises it.
    /// </summary>
    [Fact]
    public void A_slowdown_that_begins_in_a_long_stop_s_queue_raises_one_congestion_alarm()
    {
        var (day, report) = Replayed(seed: 82);
        var slowdown = Assert.Single(report.Overall.Slowdowns);
        Assert.Contains(day.Truth.Stops, s => s.Bore == slowdown.Slowdown.Bore && s.StoppedAt < slowdown.Slowdown.From && s.ResumedAt > slowdown.Slowdown.From);
        Assert.Single(slowdown.Congestion);
        Assert.True(slowdown.Overdue.Count <= 3, report.Format());
    }

    /// <summary>
    /// Seed 94: a car left on the heels of a hazmat truck that had stopped, its exit plate unread. The car's weighing had
    /// given it that exit, and its next look handed the exit to the truck, closing it; the car's claim was then renewed on
    /// the exit already spent, so both were closed on one exit and nobody looked stopped for the truck's 39 minutes.
    /// Seed 28: a vehicle closed on an unmatched exit twice (put back inside between) was offered to the hand-out
    /// twice, and its exit became two unmatched exits.
    /// </summary>
    [Theory]
    [InlineData(28)]
    [InlineData(94)]
    public void An_exit_passage_ends_one_transit_and_is_one_unmatched_exit_at_most(int seed)
    {
        var spentBy = new Dictionary<Guid, Matching.Transit>();
        var broken = new List<string>();
        Replayed(seed, engine =>
        {
            foreach (var (_, transit) in engine.EndedTransits)
            {
                if (transit.Exit is not { } exit) continue;
                if (spentBy.TryGetValue(exit.EventId, out var other) && other != transit && !other.IsOpen && other.Exit?.EventId == exit.EventId)
                    broken.Add($"{exit.CapturedAt:HH:mm:ss} exit {exit.EventId} ends {other.EntryEventId} and {transit.EntryEventId}");
                spentBy[exit.EventId] = transit;
            }
            engine.EndedTransits.Clear();
            foreach (var bore in engine.Bores.Values)
                foreach (var twice in bore.Matcher.Orphans.GroupBy(o => o.Passage.EventId).Where(g => g.Count() > 1))
                    broken.Add($"{engine.Now:HH:mm:ss} exit {twice.Key} is {twice.Count()} unmatched exits");
        });
        Assert.Empty(broken.Distinct());
    }

    /// <summary>
    /// The engine over a simulated day, as replay runs it: in delivery order, the clock at the latest capture time seen;
    /// <paramref name="afterEach"/> looks at it after every passage.
    /// </summary>
    private static (SimulationResult Day, EvaluationReport Report) Replayed(int seed, Action<TunnelEngine>? afterEach = null)
    {
        var day = TrafficSimulator.Run(new SimulationOptions { Seed = seed });
        var alarms = new List<AlarmTransition>();
        var engine = new TunnelEngine(SitesFile.Maoliling, new DetectorSettings(), alarms.Add);
        var now = DateTimeOffset.MinValue;
        foreach (var delivered in day.Passages)
        {
            if (delivered.Passage.CapturedAt > now) now = delivered.Passage.CapturedAt;
            engine.Process(delivered.Passage, now);
            afterEach?.Invoke(engine);
        }
        engine.AdvanceTo(day.Truth.End + TimeSpan.FromHours(1));
        return (day, AlarmEvaluator.Evaluate(day.Truth, alarms));
    }
}
