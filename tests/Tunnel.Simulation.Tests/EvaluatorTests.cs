using Tunnel.Core.Contracts;
using Tunnel.Simulation;
using Tunnel.Simulation.Evaluation;

namespace Tunnel.Simulation.Tests;

public sealed class EvaluatorTests
{
    private const string Site = "s";
    private const string Bore = "north";
    private static readonly DateTimeOffset Day = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static DateTimeOffset T(int h, int m, int s = 0) => Day + new TimeSpan(h, m, s);

    /// <summary>A hand-made day: three stops outside the slowdown (one unread at entry), one inside it, two normal vehicles.</summary>
    private sealed class World
    {
        public readonly List<VehicleTruth> Vehicles = [];
        public readonly List<StopTruth> Stops = [];
        public readonly SlowdownTruth Slowdown = new() { Site = Site, Bore = Bore, From = T(15, 30), To = T(16, 0), AftermathUntil = T(16, 10), SpeedKmh = 20 };

        public VehicleTruth Add(string plate, DateTimeOffset entered, DateTimeOffset exited, string? entryRead = "=", string? exitRead = "=",
                                (DateTimeOffset Stop, DateTimeOffset Resume)? stop = null, bool congestion = false)
        {
            var v = new VehicleTruth
            {
                Id = Vehicles.Count + 1, Site = Site, Bore = Bore, Plate = plate, PlateColor = PlateColor.Blue, Class = VehicleClass.Car,
                Hazmat = false, DesiredKmh = 80, EntryLane = 1, ExitLane = 1, EnteredAt = entered, ExitedAt = exited,
                EntryEventId = Guid.NewGuid(), ExitEventId = Guid.NewGuid(),
                EntryRead = entryRead == "=" ? plate : entryRead, ExitRead = exitRead == "=" ? plate : exitRead,
                EntryDeliveredAt = entered.AddSeconds(1), ExitDeliveredAt = exited.AddSeconds(1), Stopped = stop is not null,
            };
            Vehicles.Add(v);
            if (stop is { } s)
                Stops.Add(new StopTruth
                {
                    Site = Site, Bore = Bore, VehicleId = v.Id, TruePlate = plate, EntryEventId = v.EntryEventId, EntryPlateRead = v.EntryRead,
                    Lane = 1, Class = VehicleClass.Car, Hazmat = false, EnteredAt = entered, StoppedAt = s.Stop, ResumedAt = s.Resume,
                    ExitedAt = exited, PositionMeters = 1800, FollowersPassed = 3, JudgedByCongestion = congestion,
                });
            return v;
        }

        public SimulationTruth Truth => new()
        {
            Options = new SimulationOptions { Site = Site },
            Start = Day,
            End = Day.AddDays(1),
            LastExitAt = Vehicles.Max(v => v.ExitedAt),
            Bores =
            [
                new BoreTruth
                {
                    Site = Site, Bore = Bore, LengthMeters = 3600, Lanes = 2, Vehicles = Vehicles.Count, LaneChanges = 0,
                    EntryUnread = Vehicles.Count(v => v.EntryRead is null), ExitUnread = 0, EntryMisread = 0, ExitMisread = 0, LatePassages = 0,
                    Stops = Stops, Slowdowns = [Slowdown],
                },
            ],
            Vehicles = Vehicles,
        };
    }

    private readonly World _w = new();
    private readonly VehicleTruth _stopped;
    private readonly VehicleTruth _unreadStopped;
    private readonly VehicleTruth _misreadAtExit;
    private readonly VehicleTruth _shortStop;
    private readonly VehicleTruth _slowed;

    public EvaluatorTests()
    {
        _stopped = _w.Add("浙A12345", T(10, 0), T(10, 13), stop: (T(10, 1), T(10, 11)));
        _misreadAtExit = _w.Add("浙B22222", T(10, 0, 10), T(10, 3, 10), exitRead: "浙B2222Z");
        _unreadStopped = _w.Add("浙C77777", T(12, 0), T(12, 23), entryRead: null, stop: (T(12, 1), T(12, 21)));
        _shortStop = _w.Add("浙C33333", T(14, 0), T(14, 6), stop: (T(14, 2), T(14, 4)));
        _w.Add("浙D44444", T(15, 35), T(15, 58), stop: (T(15, 40), T(15, 50)), congestion: true);
        _slowed = _w.Add("浙E55555", T(15, 36), T(15, 48));
    }

    private static AlarmTransition Ack(AlarmTransition raise, DateTimeOffset at) =>
        raise with { State = AlarmState.ActiveAcknowledged, At = at, By = "op" };

    [Fact]
    public void Scores_detections_misses_false_alarms_and_congestion()
    {
        var detection = Oracle.Overdue(_w.Stops[0], T(10, 3));
        var alarms = new List<AlarmTransition>
        {
            detection,
            Ack(detection, T(10, 4)),
            Oracle.Overdue(Site, Bore, null, _unreadStopped.EntryEventId, T(12, 4)),             // unread entry, found by event id
            Oracle.Overdue(Site, Bore, _misreadAtExit.Plate, null, T(10, 5)),                    // by plate: it had left, exit misread
            Oracle.Overdue(_w.Stops[2], T(14, 7)),                                               // the short stop, but after it left
            Oracle.Congestion(Site, Bore, T(15, 35)),
            Oracle.Congestion(Site, Bore, T(18, 0)),                                             // no slowdown then
            Oracle.Overdue(Site, Bore, _slowed.Plate, _slowed.EntryEventId, T(15, 45)),          // moving slowly in the slowdown
            new AlarmTransition { AlarmId = Guid.NewGuid(), Kind = AlarmKind.AgentOffline, State = AlarmState.ActiveUnacknowledged,
                                  Priority = AlarmPriority.Medium, Site = Site, Bore = Bore, At = T(9, 0), AgentId = "a" },
        };

        var report = AlarmEvaluator.Evaluate(_w.Truth, alarms);
        var all = report.Overall;

        Assert.Equal(2, all.ReadStops.Total);
        Assert.Equal(1, all.ReadStops.Detected);
        Assert.Equal(0.5, all.ReadStops.Rate);
        Assert.Equal(120, all.ReadStops.Delay.MedianSeconds);
        Assert.Equal(120, all.ReadStops.Delay.MaxSeconds);
        var missed = Assert.Single(all.ReadStops.Missed);
        Assert.Equal(_shortStop.Id, missed.Stop.VehicleId);
        Assert.StartsWith("alarm only after it left", missed.Miss);

        Assert.Equal((1, 1), (all.UnreadStops.Total, all.UnreadStops.Detected));
        Assert.Equal(180, all.UnreadStops.Delay.MedianSeconds);
        Assert.Equal(1, all.CongestionStops.Total);

        Assert.Equal(2, all.FalseOverdue.Count);
        var misread = all.FalseOverdue.Single(f => f.VehicleId == _misreadAtExit.Id);
        Assert.Contains("exit plate misread as 浙B2222Z", misread.Cause);
        var late = all.FalseOverdue.Single(f => f.VehicleId == _shortStop.Id);
        Assert.Contains("already left", late.Cause);
        Assert.Equal(2, all.FalseOverduePerDay);

        var slowdown = Assert.Single(all.Slowdowns);
        Assert.Single(slowdown.Congestion);
        Assert.Equal(_slowed.Plate, Assert.Single(slowdown.Overdue).Plate);
        Assert.Single(all.FalseCongestion);
        Assert.Equal(1, report.IgnoredAlarms);
        Assert.Equal(0, all.RepeatOverdue);

        var targets = report.Targets.ToDictionary(t => t.Name, t => t.Passed);
        Assert.False(targets["detection"]);
        Assert.True(targets["median delay"]);
        Assert.True(targets["p95 delay"]);
        Assert.True(targets["unread plate"]);
        Assert.False(targets[$"false overdue {Site}/{Bore}"]);
        Assert.True(targets.Single(t => t.Key.EndsWith("congestion", StringComparison.Ordinal)).Value);
        Assert.True(targets.Single(t => t.Key.EndsWith("overdue", StringComparison.Ordinal) && t.Key.StartsWith("slowdown", StringComparison.Ordinal)).Value);
        Assert.False(report.Passed);

        var text = report.Format();
        Assert.Contains("[FAIL] detection", text);
        Assert.Contains("[PASS] median delay", text);
        Assert.Contains("浙C33333", text);
        Assert.Contains("false congestion", text);
    }

    [Fact]
    public void Several_days_pooled_are_judged_on_all_their_stops_and_false_alarms_per_bore_day()
    {
        var misread = Oracle.Overdue(Site, Bore, _misreadAtExit.Plate, null, T(10, 5));
        var first = AlarmEvaluator.Evaluate(_w.Truth,
            [Oracle.Overdue(_w.Stops[0], T(10, 3)), Oracle.Overdue(_w.Stops[2], T(14, 3)), misread, Oracle.Congestion(Site, Bore, T(15, 35))]);
        var second = AlarmEvaluator.Evaluate(_w.Truth,
            [Oracle.Overdue(_w.Stops[0], T(10, 6)), Oracle.Overdue(_w.Stops[2], T(14, 2, 30)), misread with { AlarmId = Guid.NewGuid() },
             Oracle.Overdue(Site, Bore, _slowed.Plate, _slowed.EntryEventId, T(18, 0))]);

        var pooled = AlarmEvaluator.Pool([first, second]);

        // Delays 120 and 60 s on the first day, 300 and 30 s on the second: the median of all four.
        Assert.Equal(4, pooled.Overall.ReadStops.Total);
        Assert.Equal(90, pooled.Overall.ReadStops.Delay.MedianSeconds);
        Assert.Equal(2, pooled.Days);
        var bore = Assert.Single(pooled.Bores);
        Assert.Equal((3, 1.5), (bore.FalseOverdue.Count, bore.FalseOverduePerDay));
        Assert.True(first.Targets.Single(t => t.Name == $"false overdue {Site}/{Bore}").Passed);
        Assert.False(pooled.Targets.Single(t => t.Name == $"false overdue {Site}/{Bore}").Passed);
        // The second day's slowdown raised no congestion alarm: one line for all slowdowns says so.
        var congestion = pooled.Targets.Single(t => t.Name == "slowdowns congestion");
        Assert.Equal(("1 of 2 slowdowns", false), (congestion.Actual, congestion.Passed));
        var days = EvaluationReport.FormatDays([("day1", first), ("day2", second)]);
        Assert.Contains("day2", days);
        Assert.Contains("2.00 simulated days pooled", pooled.Format());
    }

    [Fact]
    public void An_alarm_before_the_stop_is_false_and_does_not_detect_it()
    {
        var report = AlarmEvaluator.Evaluate(_w.Truth, [Oracle.Overdue(_w.Stops[0], T(10, 0, 30))]);
        var outcome = report.Overall.ReadStops.Stops.Single(s => s.Stop.VehicleId == _stopped.Id);
        Assert.False(outcome.Detected);
        Assert.StartsWith("alarm only before the stop began", outcome.Miss);
        Assert.Contains("its stop began only 30 s later", Assert.Single(report.Overall.FalseOverdue).Cause);
    }

    [Fact]
    public void A_plate_alone_identifies_the_vehicle_and_repeats_are_not_false()
    {
        var report = AlarmEvaluator.Evaluate(_w.Truth,
        [
            Oracle.Overdue(_w.Stops[0], T(10, 2, 30), withEventId: false),
            Oracle.Overdue(_w.Stops[0], T(10, 8)),
        ]);
        var outcome = report.Overall.ReadStops.Stops.Single(s => s.Stop.VehicleId == _stopped.Id);
        Assert.True(outcome.Detected);
        Assert.Equal(90, outcome.DelaySeconds);
        Assert.Equal(1, report.Overall.RepeatOverdue);
        Assert.Empty(report.Overall.FalseOverdue);
    }

    [Fact]
    public void An_alarm_naming_a_stopped_vehicle_as_its_second_suspect_detects_that_stop_and_one_naming_two_moving_vehicles_is_false()
    {
        var stop = _w.Stops[0];
        var moving = _misreadAtExit;
        var second = new AlarmAlternative(stop.EntryPlateRead, stop.EntryEventId, 1, stop.EnteredAt, VehicleClass.Car);
        var report = AlarmEvaluator.Evaluate(_w.Truth,
        [
            Oracle.Overdue(Site, Bore, moving.Plate, moving.EntryEventId, T(10, 2)) with { Alternative = second },
            Oracle.Overdue(Site, Bore, moving.Plate, moving.EntryEventId, T(10, 4)) with
            {
                Alternative = new AlarmAlternative(_slowed.Plate, _slowed.EntryEventId, 1, _slowed.EnteredAt, VehicleClass.Car),
            },
        ]);
        var outcome = report.Overall.ReadStops.Stops.Single(s => s.Stop.VehicleId == _stopped.Id);
        Assert.True(outcome.Detected);
        Assert.Equal(60, outcome.DelaySeconds);
        Assert.Equal(moving.Id, Assert.Single(report.Overall.FalseOverdue).VehicleId);
    }

    [Fact]
    public void A_second_suspect_named_after_the_raise_detects_its_stop_from_when_it_was_named()
    {
        var stop = _w.Stops[0];
        var raise = Oracle.Overdue(Site, Bore, _misreadAtExit.Plate, _misreadAtExit.EntryEventId, T(10, 2));
        var named = raise with
        {
            At = T(10, 3),
            Alternative = new AlarmAlternative(stop.EntryPlateRead, stop.EntryEventId, 1, stop.EnteredAt, VehicleClass.Car),
        };
        var report = AlarmEvaluator.Evaluate(_w.Truth, [raise, named]);
        var outcome = report.Overall.ReadStops.Stops.Single(s => s.Stop.VehicleId == _stopped.Id);
        Assert.True(outcome.Detected);
        Assert.Equal(120, outcome.DelaySeconds);
        Assert.Empty(report.Overall.FalseOverdue);
    }

    [Fact]
    public void An_unknown_vehicle_is_a_false_alarm_and_the_only_raise_is_the_first_transition()
    {
        var raise = Oracle.Overdue(Site, Bore, "粤Z99999", null, T(11, 0));
        var report = AlarmEvaluator.Evaluate(_w.Truth, [Ack(raise, T(11, 5)), raise]);
        var f = Assert.Single(report.Overall.FalseOverdue);
        Assert.Equal(T(11, 0), f.Alarm.At);
        Assert.Null(f.VehicleId);
        Assert.StartsWith("no such vehicle", f.Cause);
    }

    [Fact]
    public void Reads_alarm_transitions_from_json_lines()
    {
        var path = Path.GetTempFileName();
        try
        {
            var a = Oracle.Overdue(_w.Stops[0], T(10, 3));
            File.WriteAllLines(path, [TunnelJson.Serialize(a), "", TunnelJson.Serialize(Ack(a, T(10, 4)))]);
            var read = AlarmEvaluator.ReadAlarms(path);
            Assert.Equal(2, read.Count);
            Assert.Equal(a, read[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
