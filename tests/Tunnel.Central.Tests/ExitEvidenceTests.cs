using Tunnel.Central.Matching;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>Which exit, seen or still missing, a vehicle that looks stopped may have left by.</summary>
public class ExitEvidenceTests
{
    [Fact]
    public void A_late_exit_passage_behind_a_sequence_gap_outweighs_a_follower_that_left_just_before_it()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        traffic.Entry(t + 10, "浙J12345", lane: 1);
        traffic.Entry(t + 12, "浙K00001", lane: 1);
        traffic.Entry(t + 14, "浙K00002", lane: 1);
        traffic.Entry(t + 18, "浙K00003", lane: 1);
        // Two followers squeeze past near the end; the vehicle's own exit passage is held up on its way,
        // and the next one shows the exit camera's sequence gap where it belongs, just after them.
        traffic.Exit(t + 170, "浙K00001", lane: 1);
        traffic.Exit(t + 172, "浙K00002", lane: 1);
        var late = traffic.Exit(t + 176, "浙J12345", lane: 1, deliver: false);
        traffic.Exit(t + 180, "浙K00003", lane: 1);
        traffic.Clock(t + 176 + 100);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue));

        traffic.Send(late, deliveredAtSeconds: t + 176 + 110);
        traffic.Clock(t + 2000);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(0, traffic.North.Matcher.OpenCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void At_night_an_exit_agents_status_shows_the_passage_it_has_yet_to_deliver_before_the_cameras_next_passage(bool status)
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        // Nobody else about: the car left on time, but its exit passage waits in the camera's outbox for
        // a resend, and no later passage of that camera shows the gap in its numbers.
        traffic.Entry(t + 10, "浙J12345", lane: 1);
        var late = traffic.Exit(t + 180, "浙J12345", lane: 1, deliver: false);
        if (status) traffic.ExitStatus(t + 185, lane: 1);
        var deliveredAt = t + 180 + 115;
        traffic.Clock(deliveredAt - 1);
        // Without the status the clock alone alarms it (about 1.45 usual transits after it entered).
        Assert.Equal(status ? [] : ["浙J12345"], traffic.Raised(AlarmKind.Overdue).Select(a => a.Plate));

        traffic.Send(late, deliveredAtSeconds: deliveredAt);
        Assert.Equal(0, traffic.North.Matcher.OpenCount);
    }

    [Fact]
    public void An_exit_agents_status_opens_a_gap_for_the_numbers_not_received_in_the_lane_its_passages_came_by()
    {
        var gaps = new SequenceGaps();
        var t0 = Traffic.T0;
        Assert.Equal(0, gaps.ObserveLastSeq("maoliling-north-exit-2", 5, t0)); // nothing received from it yet: nothing to count from
        Assert.Empty(gaps.Open);
        gaps.Observe("maoliling-north-exit-2", 1, 2, t0);
        Assert.Equal(0, gaps.ObserveLastSeq("maoliling-north-exit-2", 1, t0.AddSeconds(10))); // all received
        Assert.Empty(gaps.Open);
        Assert.Equal(2, gaps.ObserveLastSeq("maoliling-north-exit-2", 3, t0.AddSeconds(20)));
        var gap = Assert.Single(gaps.Open);
        Assert.Equal((2L, 3L, 2, t0, t0.AddSeconds(20)), (gap.FromSeq, gap.ToSeq, gap.Lane, gap.From, gap.Until));
        // The next status says nothing new, and the camera's next passage opens no second gap.
        Assert.Equal(0, gaps.ObserveLastSeq("maoliling-north-exit-2", 3, t0.AddSeconds(30)));
        Assert.False(gaps.Observe("maoliling-north-exit-2", 4, 2, t0.AddSeconds(31)));
        Assert.Single(gaps.Open);
        // The late ones fill it.
        Assert.True(gaps.Observe("maoliling-north-exit-2", 2, 2, t0.AddSeconds(5)));
        Assert.True(gaps.Observe("maoliling-north-exit-2", 3, 2, t0.AddSeconds(8)));
        Assert.Empty(gaps.Open);
        // A restart (numbers far ahead) is not that many lost passages.
        Assert.Equal(0, gaps.ObserveLastSeq("maoliling-north-exit-2", 1000, t0.AddSeconds(40)));
        Assert.Empty(gaps.Open);
    }

    [Fact]
    public void A_late_exit_passage_another_vehicle_needs_more_does_not_hold_back_a_stopped_vehicles_alarm()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        // A truck in lane 1 whose exit passage is held up in the camera's outbox, and a car in lane 2
        // that stops. Each is overtaken by the followers of its own lane; "changed into lane 1 and left by
        // the missing passage" would explain the car, but the truck has no other way out.
        traffic.Entry(t + 10, "浙U00001", lane: 1, cls: VehicleClass.Truck);
        traffic.Entry(t + 11, "浙S00001", lane: 2);
        for (var i = 0; i < 4; i++)
        {
            traffic.Entry(t + 12 + 2 * i, $"浙F1000{i}", lane: 1);
            traffic.Entry(t + 13 + 2 * i, $"浙F2000{i}", lane: 2);
        }
        var late = traffic.Exit(t + 178, "浙U00001", lane: 1, cls: VehicleClass.Truck, deliver: false);
        for (var i = 0; i < 4; i++)
        {
            traffic.Exit(t + 181 + 2 * i, $"浙F1000{i}", lane: 1);
            traffic.Exit(t + 182 + 2 * i, $"浙F2000{i}", lane: 2);
        }
        var deliveredAt = t + 178 + 200;
        traffic.Clock(deliveredAt - 1);

        var alarm = Assert.Single(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal("浙S00001", alarm.Plate);
        Assert.True(alarm.At < Traffic.T0.AddSeconds(deliveredAt), $"raised at {alarm.At:HH:mm:ss}");
        traffic.Send(late, deliveredAtSeconds: deliveredAt);
        traffic.Clock(deliveredAt + 600);
        Assert.Equal(["浙S00001"], traffic.Raised(AlarmKind.Overdue).Select(a => a.Plate));
    }

    [Fact]
    public void A_late_exit_passage_two_vehicles_need_alike_raises_one_alarm_naming_both_and_the_passage_tells_which_is_inside()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        // Two cars one behind the other in lane 1: the first left, its exit passage held up in the
        // camera's outbox; the second stopped. Their followers got past both, and the missing passage
        // fits either as well.
        traffic.Entry(t + 10, "浙U00001", lane: 1);
        traffic.Entry(t + 12, "浙S00001", lane: 1);
        for (var i = 0; i < 4; i++) traffic.Entry(t + 14 + 2 * i, $"浙F1000{i}", lane: 1);
        var late = traffic.Exit(t + 176, "浙U00001", lane: 1, deliver: false);
        for (var i = 0; i < 4; i++) traffic.Exit(t + 181 + 2 * i, $"浙F1000{i}", lane: 1);
        var deliveredAt = t + 176 + 200;
        traffic.Clock(deliveredAt - 1);
        // One of them is inside, and no passage yet says which: one alarm names both (until the ninth session
        // waited for the passage, here 200 s).
        var alarm = Assert.Single(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(["浙S00001", "浙U00001"], new[] { alarm.Plate, alarm.Alternative?.Plate }.Order());
        Assert.True(alarm.At < Traffic.T0.AddSeconds(t + 12 + 300), $"raised at {alarm.At:HH:mm:ss}");
        // Its reason gives the evidence that it is inside (the late passage alone answers it), not that of the passage.
        Assert.True(double.Parse(alarm.ReasonArgs!["evidence"], System.Globalization.CultureInfo.InvariantCulture) >= new DetectorSettings().AlarmLevel, alarm.Reason);

        // The passage was the first car's: the one still inside is the one alarmed.
        traffic.Send(late, deliveredAtSeconds: deliveredAt);
        traffic.Clock(deliveredAt + 600);
        var open = traffic.Alarms.GroupBy(a => a.AlarmId).Select(g => g.Last()).Where(a => a.State == AlarmState.ActiveUnacknowledged);
        Assert.Equal("浙S00001", Assert.Single(open).Plate);
    }

    [Fact]
    public void A_hazmat_van_alarmed_because_a_stopped_car_needs_the_late_passage_it_could_have_left_by_more_names_the_car_too()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        // As above, but the van that left first carries dangerous goods: its stricter alarm level is
        // reached while the car behind it still needs the missing passage more, so the van gets no
        // share of it and is alarmed. The passage may still be the van's, and the car inside.
        traffic.Entry(t + 10, "浙U00001", lane: 1, cls: VehicleClass.Van, hazmat: true);
        traffic.Entry(t + 12, "浙S00001", lane: 1);
        for (var i = 0; i < 4; i++) traffic.Entry(t + 14 + 2 * i, $"浙F1000{i}", lane: 1);
        var late = traffic.Exit(t + 176, "浙U00001", lane: 1, cls: VehicleClass.Van, deliver: false);
        for (var i = 0; i < 4; i++) traffic.Exit(t + 181 + 2 * i, $"浙F1000{i}", lane: 1);
        var deliveredAt = t + 176 + 200;
        traffic.Clock(deliveredAt - 1);
        // Until the thirteenth session the alarm named the van alone: the car's stop went unreported
        // until the passage came.
        var alarm = Assert.Single(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(("浙U00001", "浙S00001"), (alarm.Plate, alarm.Alternative?.Plate));
        // What the car looks like on camera, with the alarm itself: it may have left the list of vehicles inside by then.
        Assert.Equal((PlateColor.Blue, false, VehicleClass.Car), (alarm.Alternative!.PlateColor, alarm.Alternative.Hazmat, alarm.Alternative.VehicleClass));

        traffic.Send(late, deliveredAtSeconds: deliveredAt);
        traffic.Clock(deliveredAt + 600);
        var open = traffic.Alarms.GroupBy(a => a.AlarmId).Select(g => g.Last()).Where(a => a.State == AlarmState.ActiveUnacknowledged);
        Assert.Equal("浙S00001", Assert.Single(open).Plate);
    }

    [Fact]
    public void Where_its_time_does_not_count_as_in_the_queue_behind_an_alarmed_stop_a_late_passage_fits_it_however_long_it_took()
    {
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        var settings = new DetectorSettings();
        var entered = Traffic.T0;
        double LateExitAfter(double transits, bool timeCounts)
        {
            var matcher = Learnt(bore);
            var t = matcher.Open(Passage(Portal.Entry, entered, seq: 1));
            var leftAt = entered + bore.NominalTransit * transits;
            matcher.ExitGaps.Observe("maoliling-north-exit-1", 1, 1, leftAt - TimeSpan.FromSeconds(5));
            matcher.ExitGaps.Observe("maoliling-north-exit-1", 3, 1, leftAt + TimeSpan.FromSeconds(5));
            return new OverdueEvidence(settings, matcher, new LaneDiscipline(settings), _ => true)
                .LateExit(t, leftAt + TimeSpan.FromSeconds(30), timeCounts, stay: settings.AlarmLevel);
        }

        var onTime = LateExitAfter(1, timeCounts: true);
        // Two and a half usual transits: a poor fit for a vehicle whose time counts...
        Assert.True(LateExitAfter(2.5, timeCounts: true) > onTime + 4, $"on time {onTime}, late {LateExitAfter(2.5, timeCounts: true)}");
        // ...and none for one held in a queue, whose inside story does not count its time either.
        Assert.True(Math.Abs(LateExitAfter(2.5, timeCounts: false) - onTime) < 0.5, $"on time {onTime}, queued {LateExitAfter(2.5, timeCounts: false)}");
    }

    [Fact]
    public void Where_its_time_does_not_count_the_unmatched_exit_it_holds_fits_it_however_long_it_took()
    {
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        var settings = new DetectorSettings();
        var entered = Traffic.T0;
        double LeftUnseen(bool timeCounts)
        {
            var matcher = Learnt(bore);
            var t = matcher.Open(Passage(Portal.Entry, entered, seq: 1));
            // Its exit plate unread, two and a half usual transits after it entered (squeezing past a stop).
            var exit = Passage(Portal.Exit, entered + bore.NominalTransit * 2.5, seq: 1) with { Plate = null };
            var orphan = new OrphanExit(exit) { ClaimedBy = t };
            matcher.Orphans.Add(orphan);
            t.ProbableExit = orphan;
            return new OverdueEvidence(settings, matcher, new LaneDiscipline(settings), _ => true)
                .Weigh(t, exit.CapturedAt + TimeSpan.FromSeconds(30), timeCounts).LeftUnseen;
        }

        Assert.Equal(settings.UnmatchedExitCost, LeftUnseen(timeCounts: false), 3);
        Assert.True(LeftUnseen(timeCounts: true) > settings.UnmatchedExitCost + 2, $"time counts: {LeftUnseen(timeCounts: true)}");
    }

    [Fact]
    public void A_late_passage_or_an_unmatched_exit_fits_a_vehicle_held_up_behind_a_slow_one_ahead_of_it_as_its_inside_story_does()
    {
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        var settings = new DetectorSettings();
        var entered = Traffic.T0;
        // It left two and a half usual transits after it entered: its exit plate unread, or its exit passage
        // missing from the camera's sequence. Where it was held up, the vehicle ahead of it in its lane (a
        // crawling truck) left just before.
        var leftAt = entered + bore.NominalTransit * 2.5;
        OverdueEvidence.Weighing Weighed(bool heldUp, bool unread)
        {
            var matcher = Learnt(bore);
            var t = matcher.Open(Passage(Portal.Entry, entered, seq: 1));
            if (heldUp) t.AheadLeftAt = leftAt - TimeSpan.FromSeconds(3);
            if (unread)
            {
                var orphan = new OrphanExit(Passage(Portal.Exit, leftAt, seq: 1) with { Plate = null }) { ClaimedBy = t };
                matcher.Orphans.Add(orphan);
                t.ProbableExit = orphan;
            }
            else
            {
                matcher.ExitGaps.Observe("maoliling-north-exit-1", 1, 1, leftAt - TimeSpan.FromSeconds(5));
                matcher.ExitGaps.Observe("maoliling-north-exit-1", 3, 1, leftAt + TimeSpan.FromSeconds(5));
            }
            return new OverdueEvidence(settings, matcher, new LaneDiscipline(settings), _ => true).Weigh(t, leftAt + TimeSpan.FromSeconds(30), timeCounts: true);
        }

        // Held up, its time says little against "still inside", nor may it against leaving by either.
        var (free, heldUp) = (Weighed(heldUp: false, unread: false), Weighed(heldUp: true, unread: false));
        Assert.True(heldUp.HeldBack > TimeSpan.FromSeconds(200), $"held back {heldUp.HeldBack}");
        Assert.True(heldUp.LateExit < 2, $"held up: late exit {heldUp.LateExit}");
        Assert.True(free.LateExit > heldUp.LateExit + 4, $"free {free.LateExit}, held up {heldUp.LateExit}");
        (free, heldUp) = (Weighed(heldUp: false, unread: true), Weighed(heldUp: true, unread: true));
        Assert.True(heldUp.LeftUnseen < settings.UnmatchedExitCost + 1, $"held up: left unseen {heldUp.LeftUnseen}");
        Assert.True(free.LeftUnseen > heldUp.LeftUnseen + 2, $"free {free.LeftUnseen}, held up {heldUp.LeftUnseen}");
    }

    [Fact]
    public void After_a_slow_spell_an_exit_at_free_flow_speed_behind_a_sequence_gap_costs_no_more_than_before_it()
    {
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        var settings = new DetectorSettings();
        var entered = Traffic.T0;
        double LateExitAfter(double slowdown)
        {
            // Every transit learnt so far took `slowdown` times the free-flow time, as behind a long blockage.
            var matcher = Learnt(bore, slowdown);
            var t = matcher.Open(Passage(Portal.Entry, entered, seq: 1));
            // The exit camera's passages 1 and 3 arrived: number 2, at about the free-flow time, is on its way.
            matcher.ExitGaps.Observe("maoliling-north-exit-1", 1, 1, entered + bore.NominalTransit - TimeSpan.FromSeconds(5));
            matcher.ExitGaps.Observe("maoliling-north-exit-1", 3, 1, entered + bore.NominalTransit + TimeSpan.FromSeconds(5));
            Assert.Single(matcher.ExitGaps.Open);
            return new OverdueEvidence(settings, matcher, new LaneDiscipline(settings), _ => true).LateExit(t, entered + bore.NominalTransit * 2, timeCounts: true, stay: settings.AlarmLevel);
        }

        var freeFlow = LateExitAfter(1);
        Assert.True(double.IsFinite(freeFlow));
        // Twice as slow: the learnt times would call a free-flow transit far too short (about 8 nats more).
        var slow = LateExitAfter(2);
        Assert.True(Math.Abs(slow - freeFlow) < 0.5, $"free flow {freeFlow}, after the slow spell {slow}");
    }

    [Fact]
    public void After_a_slow_spell_a_misread_exit_at_free_flow_speed_still_matches_its_vehicle()
    {
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        Transit? MatchAfter(double slowdown)
        {
            var matcher = Learnt(bore, slowdown);
            var entry = Passage(Portal.Entry, Traffic.T0, seq: 1) with { Lane = 2, Vehicle = new VehicleRead { Class = VehicleClass.Car } };
            matcher.Open(entry);
            // A lane changer at free-flow speed, its exit plate misread by one character and the car taken for a van.
            var exit = Passage(Portal.Exit, Traffic.T0 + bore.NominalTransit, seq: 1) with
            {
                Vehicle = new VehicleRead { Class = VehicleClass.Van },
                Plate = new PlateRead { Text = "浙J12845", Color = PlateColor.Blue, Confidence = 0.7, CharConfidences = [0.99, 0.98, 0.98, 0.97, 0.7, 0.98, 0.99] },
            };
            var found = matcher.FindMatch(exit);
            return found.How == ExitMatch.Fuzzy ? found.Transit : null;
        }

        Assert.NotNull(MatchAfter(1));
        // Behind a long blockage every learnt transit took twice as long; one at free-flow speed is no less its own.
        Assert.NotNull(MatchAfter(2.5));
    }

    [Fact]
    public void While_the_bore_crawls_a_misread_exit_matches_the_vehicle_queued_long_enough_not_one_that_entered_at_free_flow_distance()
    {
        // Simulated seed 64, north bore, 07:59:52, at the end of a slowdown to 20 km/h: the exit of a truck queued for twelve
        // minutes, read 浙C8487挂, fitted its own entry (浙C8437挂, its colour misread white) and a truck that had entered
        // three minutes before (浙C8480挂) each by one character; at free-flow speed the second fitted better and took it.
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        var matcher = Learnt(bore, slowdown: 4.6);
        var exitAt = Traffic.T0.AddSeconds(742.8);
        Transit Truck(string plate, PlateColor color, double[] certainty, DateTimeOffset at) => matcher.Open(Passage(Portal.Entry, at, seq: 1) with
        {
            Lane = 2, Plate = new PlateRead { Text = plate, Color = color, Confidence = certainty.Min(), CharConfidences = certainty },
            Vehicle = new VehicleRead { Class = VehicleClass.Truck },
        });
        var queued = Truck("浙C8437挂", PlateColor.White, [0.932, 0.954, 0.946, 0.996, 0.966, 0.961, 0.998], Traffic.T0);
        var lately = Truck("浙C8480挂", PlateColor.Yellow, [0.937, 0.956, 0.952, 0.931, 0.967, 0.969, 0.943], exitAt.AddSeconds(-187.2));
        var exit = Passage(Portal.Exit, exitAt, seq: 1) with
        {
            Lane = 2,
            Plate = new PlateRead { Text = "浙C8487挂", Color = PlateColor.Yellow, Confidence = 0.803, CharConfidences = [0.981, 0.974, 0.963, 0.931, 0.803, 0.98, 0.965] },
            Vehicle = new VehicleRead { Class = VehicleClass.Truck },
        };

        // Had the bore been free while the second drove through, it would be the better fit.
        Assert.Same(lately, matcher.FindMatch(exit, _ => true).Transit);
        // It crawled, as everyone did.
        var found = matcher.FindMatch(exit, _ => false);
        Assert.Equal(ExitMatch.Fuzzy, found.How);
        Assert.Same(queued, found.Transit);
    }

    [Fact]
    public void A_lane_changer_may_have_left_by_the_other_lanes_late_passage_at_any_time_its_gap_spans_not_only_at_its_start()
    {
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        // Where steady speeds place the change points exactly, as this story needs.
        var settings = new DetectorSettings { ChangePointTolerance = 0 };
        var entered = Traffic.T0;
        // It entered lane 2. Three cars of lane 1 that entered 10, 20 and 30 s after it left before the
        // exit camera of lane 1 skipped a number: they overtook it before it changed into their lane.
        // Leaving at the gap's start it would have been barely slower than the last of them, which then
        // caught it at the very end of the bore; leaving later in the gap, anywhere past two thirds in.
        double LateExit(double gapEndsSeconds)
        {
            var matcher = Learnt(bore);
            var t = matcher.Open(Passage(Portal.Entry, entered, seq: 1) with { Lane = 2, AgentId = "maoliling-north-entry-2" });
            foreach (var (later, transit) in new[] { (10.0, 150.0), (20.0, 148.0), (30.0, 146.7) })
                t.Passes.AddOtherLane(entered.AddSeconds(later), entered.AddSeconds(later + transit));
            matcher.ExitGaps.Observe("maoliling-north-exit-1", 1, 1, entered.AddSeconds(177));
            matcher.ExitGaps.Observe("maoliling-north-exit-1", 3, 1, entered.AddSeconds(gapEndsSeconds));
            var evidence = new OverdueEvidence(settings, matcher, new LaneDiscipline(settings), _ => true);
            return evidence.Weigh(t, entered.AddSeconds(gapEndsSeconds + 30), timeCounts: true).LateExit;
        }

        var (brief, longer) = (LateExit(178), LateExit(200));
        Assert.True(longer < brief - 1, $"gap of 1 s: {brief}, of 23 s: {longer}");
    }

    [Fact]
    public void A_slow_tanker_that_changed_lanes_late_is_not_called_stopped_when_its_followers_are_let_go_just_before_the_exit()
    {
        // Simulated seed 12, south bore, 11:32:03: a hazmat tanker at 53 km/h entered lane 2 and changed
        // into lane 1 late. Five vehicles of lane 1 that entered after it overtook it before that; two of
        // lane 2 held behind it until then left 23 and 7 s before it did. Steady speeds leave a sliver of
        // the bore for the change, and the tanker was alarmed as stopped 7 s before it left.
        var bore = SitesFile.Maoliling.Sites[0].Bores[0];
        double Evidence(double tolerance)
        {
            var settings = new DetectorSettings { ChangePointTolerance = tolerance };
            var matcher = new BoreMatcher(bore);
            // The bore's recent transits as they were: cars 3.4 min, lorries 3.7, tankers 3.8.
            var rng = new Random(5);
            foreach (var (model, median, sigma) in new[] { (matcher.Times[0], 201.0, 0.13), (matcher.Times[1], 223.0, 0.1), (matcher.Times[2], 228.0, 0.1) })
                for (var i = 0; i < 160; i++) model.Add(TimeSpan.FromSeconds(median * Math.Exp(2 * sigma * (rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5))));
            var entered = Traffic.T0;
            var t = matcher.Open(Passage(Portal.Entry, entered, seq: 1) with
            {
                Lane = 2, AgentId = "maoliling-north-entry-2", Vehicle = new VehicleRead { Class = VehicleClass.Truck, Hazmat = true },
            });
            foreach (var (later, left) in new[] { (13.8, 228.4), (20.2, 230.2), (23.4, 231.5), (29.9, 233.0), (54.4, 234.5) })
                t.Passes.AddOtherLane(entered.AddSeconds(later), entered.AddSeconds(left));
            t.Passes.AddOwnLane(entered.AddSeconds(221.9));
            t.Passes.AddOwnLane(entered.AddSeconds(238.1));
            return new OverdueEvidence(settings, matcher, new LaneDiscipline(settings), _ => true).Weigh(t, entered.AddSeconds(238.2), timeCounts: true).Evidence;
        }

        var level = new DetectorSettings().HazmatAlarmLevel;
        var (exact, tolerant) = (Evidence(0), Evidence(new DetectorSettings().ChangePointTolerance));
        Assert.True(exact >= level, $"exact change points: {exact}");
        Assert.True(tolerant < level, $"with the tolerance: {tolerant}");
    }

    /// <summary>A bore that has learnt 160 transits of each kind, each about <paramref name="slowdown"/> times the free-flow time.</summary>
    private static BoreMatcher Learnt(BoreConfig bore, double slowdown = 1)
    {
        var matcher = new BoreMatcher(bore);
        var rng = new Random(3);
        foreach (var model in matcher.Times)
            for (var i = 0; i < 160; i++) model.Add(bore.NominalTransit * slowdown * (0.95 + 0.1 * rng.NextDouble()));
        return matcher;
    }

    private static Passage Passage(Portal portal, DateTimeOffset at, long seq) => new()
    {
        EventId = Guid.NewGuid(), AgentId = $"maoliling-north-{(portal == Portal.Entry ? "entry" : "exit")}-1", Seq = seq, Site = "maoliling",
        Bore = "north", Portal = portal, Lane = 1, CameraId = "cam", CapturedAt = at,
        Plate = new PlateRead { Text = "浙J12345", Color = PlateColor.Blue, Confidence = 0.97 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
    };
}
