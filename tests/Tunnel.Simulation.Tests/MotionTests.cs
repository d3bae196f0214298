using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Simulation.Tests;

[Collection(DefaultDayCollection.Name)]
public sealed class MotionTests(DefaultDay day)
{
    private static readonly TimeSpan Local = TimeSpan.FromHours(8);

    [Fact]
    public void Vehicles_that_keep_their_lane_leave_in_the_order_they_entered()
    {
        var stopped = day.Truth.Stops.Select(s => s.VehicleId).ToHashSet();
        var groups = day.Truth.Vehicles
            .Where(v => !v.LaneChange && !stopped.Contains(v.Id))
            .GroupBy(v => (v.Bore, v.EntryLane));
        foreach (var lane in groups)
        {
            var byEntry = lane.OrderBy(v => v.EnteredAt).ToList();
            for (var i = 1; i < byEntry.Count; i++)
            {
                Assert.True(byEntry[i].ExitedAt > byEntry[i - 1].ExitedAt,
                    $"{lane.Key}: {byEntry[i].Plate} entered after {byEntry[i - 1].Plate} but left first");
                // Car-following keeps a real headway at the exit line, not just a different timestamp.
                Assert.True((byEntry[i].ExitedAt - byEntry[i - 1].ExitedAt).TotalSeconds >= 0.5,
                    $"{lane.Key}: {byEntry[i].Plate} left {(byEntry[i].ExitedAt - byEntry[i - 1].ExitedAt).TotalSeconds:F2} s after its leader");
            }
        }
    }

    [Fact]
    public void Only_lane_changers_leave_in_another_lane_and_they_are_a_few_percent()
    {
        var vehicles = day.Truth.Vehicles;
        Assert.All(vehicles, v => Assert.Equal(v.LaneChange, v.EntryLane != v.ExitLane));
        var share = vehicles.Count(v => v.LaneChange) / (double)vehicles.Count;
        Assert.InRange(share, 0.025, 0.035);
    }

    [Fact]
    public void Lane_changers_escape_their_lane_order()
    {
        var overtakers = 0;
        foreach (var changer in day.Truth.Vehicles.Where(v => v.LaneChange))
        {
            var sameLane = day.Truth.Vehicles.Where(v => v.Bore == changer.Bore && v.EntryLane == changer.EntryLane && !v.LaneChange);
            if (sameLane.Any(v => v.EnteredAt < changer.EnteredAt && v.ExitedAt > changer.ExitedAt)) overtakers++;
            if (overtakers > 10) break;
        }
        Assert.True(overtakers > 10, "lane changers should sometimes leave before vehicles that entered their lane ahead of them");
    }

    [Fact]
    public void Stopped_vehicles_stand_still_and_their_followers_squeeze_past_and_leave_first()
    {
        var truth = day.Truth;
        var length = day.Options.Bores[0].LengthMeters;
        foreach (var stop in truth.Stops)
        {
            var duration = stop.ResumedAt - stop.StoppedAt;
            Assert.InRange(duration.TotalMinutes, 2 - 1e-6, 60 + 1e-6);
            Assert.InRange(stop.PositionMeters, 200, length - 200);
            Assert.True(stop.EnteredAt < stop.StoppedAt && stop.ResumedAt < stop.ExitedAt);
            // It had to drive the rest of the bore after resuming: at most its desired speed, so not instantly.
            var remaining = length - stop.PositionMeters;
            Assert.True((stop.ExitedAt - stop.ResumedAt).TotalSeconds >= remaining / (100 / 3.6), $"{stop.TruePlate} left too fast");

            var overtakenBy = truth.Vehicles
                .Where(v => v.Bore == stop.Bore && v.Id != stop.VehicleId && v.EnteredAt > stop.EnteredAt && v.ExitedAt < stop.ExitedAt)
                .ToList();
            var sameLane = overtakenBy.Count(v => v.EntryLane == stop.Lane && !v.LaneChange && !v.Stopped);
            var maybe = overtakenBy.Count(v => v.LaneChange || v.Stopped);
            // Everyone of its lane who left before it squeezed past it; lane changers and other stopped vehicles may have too.
            Assert.InRange(stop.FollowersPassed, sameLane, sameLane + maybe);
            Assert.All(overtakenBy.Where(v => !v.LaneChange), v => Assert.Equal(v.EntryLane, v.ExitLane));

            if (duration < TimeSpan.FromMinutes(10)) continue;
            // A long stop: whoever was already behind it in its lane reached it before it resumed, and passed it.
            var behind = truth.Vehicles.Where(v => v.Bore == stop.Bore && v.EntryLane == stop.Lane && !v.LaneChange && !v.Stopped
                                                   && v.EnteredAt > stop.EnteredAt && v.EnteredAt < stop.StoppedAt);
            Assert.All(behind, f => Assert.True(f.ExitedAt < stop.ExitedAt, $"{f.Plate} was behind stopped {stop.TruePlate} but left after it"));
        }
        Assert.Contains(truth.Stops, s => s.FollowersPassed > 20);
    }

    [Fact]
    public void Stops_come_at_the_configured_rate_spread_over_the_day_including_the_night()
    {
        foreach (var bore in day.Truth.Bores) Assert.Equal(day.Options.StopsPerBorePerDay, bore.Stops.Count);
        var hours = day.Truth.Stops.Select(s => s.StoppedAt.ToOffset(Local).Hour).ToList();
        Assert.Contains(hours, h => h is >= 22 or < 6);
        Assert.Contains(hours, h => h is >= 7 and < 19);
        Assert.Contains(day.Truth.Stops, s => s.Class is VehicleClass.Truck);
        Assert.Contains(day.Truth.Stops, s => s.Class is VehicleClass.Car or VehicleClass.Van);
    }

    [Fact]
    public void Queues_behind_stopped_vehicles_stay_brief()
    {
        var longest = day.Truth.Vehicles.Max(v => v.StandstillSeconds);
        Assert.True(longest < 300, $"a vehicle stood {longest:F0} s in a queue");
        var transits = day.Truth.Vehicles.Where(v => !v.Stopped && !day.Truth.Slowdowns.Any(s => s.Covers(v.EnteredAt)))
            .Select(v => (v.ExitedAt - v.EnteredAt).TotalSeconds).OrderBy(t => t).ToList();
        var nominal = day.Options.Bores[0].NominalTransit.TotalSeconds;
        Assert.InRange(transits[transits.Count / 2], nominal, nominal * 1.5);
        Assert.True(transits[(int)(transits.Count * 0.99)] < nominal * 3, "99 % of normal transits stay under three times the nominal one");
    }

    [Fact]
    public void A_slowdown_slows_every_vehicle_inside_and_its_aftermath_covers_the_last_one_that_entered_during_it()
    {
        var slowdown = Assert.Single(day.Truth.Slowdowns);
        Assert.Equal(TimeSpan.FromMinutes(30), slowdown.To - slowdown.From);
        var length = day.Options.Bores.Single(b => b.Id == slowdown.Bore).LengthMeters;
        var during = day.Truth.Vehicles.Where(v => v.Bore == slowdown.Bore && !v.Stopped && v.EnteredAt >= slowdown.From && v.EnteredAt < slowdown.To).ToList();
        Assert.NotEmpty(during);
        // Drivers vary ±15 % around 20 km/h; whoever entered early enough to cross at that pace before it ended did so.
        var crawl = TimeSpan.FromSeconds(length / (20 * 1.15 / 3.6));
        Assert.All(during.Where(v => v.EnteredAt + crawl < slowdown.To), v => Assert.True(v.ExitedAt - v.EnteredAt >= crawl - TimeSpan.FromSeconds(1)));
        Assert.All(during, v => Assert.True(v.ExitedAt - v.EnteredAt > TimeSpan.FromSeconds(length / (80 / 3.6))));
        Assert.Equal(during.Max(v => v.ExitedAt), slowdown.AftermathUntil);
        var insideAtStart = day.Truth.Vehicles.Where(v => v.Bore == slowdown.Bore && !v.Stopped && v.Inside(slowdown.From) && v.EnteredAt < slowdown.From - TimeSpan.FromSeconds(60)).ToList();
        var nominal = TimeSpan.FromSeconds(length / (80 / 3.6));
        Assert.Contains(insideAtStart, v => v.ExitedAt - v.EnteredAt > nominal * 1.5);
    }

    [Fact]
    public void The_other_bore_is_not_slowed()
    {
        var slowdown = Assert.Single(day.Truth.Slowdowns);
        var other = day.Truth.Vehicles.Where(v => v.Bore != slowdown.Bore && !v.Stopped && v.EnteredAt >= slowdown.From && v.EnteredAt < slowdown.To)
            .Select(v => (v.ExitedAt - v.EnteredAt).TotalSeconds).OrderBy(t => t).ToList();
        Assert.True(other[other.Count / 2] < 300);
    }
}

public sealed class MotivatedLaneChangeTests
{
    private static readonly SimulationOptions Motivated = new() { LaneChangeModel = LaneChangeModel.Motivated };

    [Fact]
    public void Motivated_changers_are_about_as_many_as_uniform_ones_and_still_leave_in_the_other_lane()
    {
        var uniform = TrafficSimulator.Run(new SimulationOptions()).Truth;
        var motivated = TrafficSimulator.Run(Motivated).Truth;
        Assert.All(motivated.Vehicles, v => Assert.Equal(v.LaneChange, v.EntryLane != v.ExitLane));
        var share = motivated.Vehicles.Count(v => v.LaneChange) / (double)motivated.Vehicles.Count;
        Assert.InRange(share, 0.025, 0.035);
        Assert.InRange(motivated.Bores.Sum(b => b.LaneChanges), 0.9 * uniform.Bores.Sum(b => b.LaneChanges), 1.1 * uniform.Bores.Sum(b => b.LaneChanges));
        // The same vehicles stop at the same places: only the changers differ between the models.
        Assert.Equal(uniform.Stops.Select(s => (s.VehicleId, s.PositionMeters)), motivated.Stops.Select(s => (s.VehicleId, s.PositionMeters)));
    }

    [Fact]
    public void Motivated_changers_do_not_dive_in_behind_slow_vehicles_as_uniform_ones_do()
    {
        // Transit time over the time at the vehicle's own desired speed, for the cars that moved into the slow lane.
        static List<double> Crawl(SimulationTruth truth) => truth.Vehicles
            .Where(v => v.LaneChange && !v.Stopped && v.EntryLane == 1 && !truth.Slowdowns.Any(s => s.Covers(v.EnteredAt)))
            .Select(v => (v.ExitedAt - v.EnteredAt).TotalSeconds * v.DesiredKmh / 3.6 / truth.Bores[0].LengthMeters)
            .ToList();
        var uniform = Crawl(TrafficSimulator.Run(new SimulationOptions()).Truth);
        var motivated = Crawl(TrafficSimulator.Run(Motivated).Truth);
        Assert.True(motivated.Count(c => c > 1.3) < uniform.Count(c => c > 1.3) * 0.8,
            $"{motivated.Count(c => c > 1.3)} motivated and {uniform.Count(c => c > 1.3)} uniform changers into the slow lane took over 1.3 times their own transit");
    }
}
