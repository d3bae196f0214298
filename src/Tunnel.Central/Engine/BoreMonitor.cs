using Tunnel.Central.Alarms;
using Tunnel.Central.Matching;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Engine;

/// <summary>
/// One bore, live: passages go to the matcher, every change of evidence re-weighs the transits it
/// touches, and the verdicts become alarms. Time only ever comes in as an argument, so the same code
/// runs on the wall clock and on event time in replay.
/// </summary>
public sealed class BoreMonitor
{
    private static readonly TimeSpan RecheckStep = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ChangedLanesLook = TimeSpan.FromSeconds(4);
    private readonly DetectorSettings _settings;
    private readonly AlarmBook _alarms;
    private readonly DueQueue _due;
    private readonly LaneDiscipline _lanes;
    private readonly OverdueEvidence _evidence;
    private readonly CongestionWatch _congestion;
    private readonly Action<BoreKey, Transit> _ended;
    /// <summary>Vehicles that look stopped but for an exit passage that may still be on its way.</summary>
    private readonly HashSet<Transit> _awaitingLatePassage = [];
    /// <summary>Lists of transits to weigh after a walk that weighing would disturb: lent, not made, on every exit.</summary>
    private readonly ListPool<Transit> _buffers = new();

    public BoreMonitor(BoreKey key, BoreConfig config, DetectorSettings settings, AlarmBook alarms, DueQueue due, Action<BoreKey, Transit> ended)
    {
        _ended = ended;
        Key = key;
        _settings = settings;
        _alarms = alarms;
        _due = due;
        Matcher = new BoreMatcher(config);
        _lanes = new LaneDiscipline(settings);
        _congestion = new CongestionWatch(key, settings, Matcher, alarms);
        _evidence = new OverdueEvidence(settings, Matcher, _lanes, _congestion.TimeCounts);
    }

    public BoreKey Key { get; }
    public BoreMatcher Matcher { get; }
    public BoreCounters Counters { get; } = new();
    public bool Congested => _congestion.Active;
    public LaneDiscipline Lanes => _lanes;

    /// <summary>
    /// Vehicles inside by count, whatever the plates said: the number the operators trust. Entries minus exits, except that
    /// an exit with nobody counted inside takes nothing off: exits whose entries were never counted (an entry camera out or
    /// retired, vehicles inside before the service's memory begins) would otherwise leave it below the truth for good,
    /// and below zero. Missed exits still leave it above: the safe side in an evacuation.
    /// </summary>
    public long Occupancy { get; private set; }

    public void OnPassage(Passage p, DateTimeOffset now)
    {
        if (p.Portal == Portal.Entry) OnEntry(p, now);
        else OnExit(p, now);
    }

    private void OnEntry(Passage p, DateTimeOffset now)
    {
        Counters.Entries++;
        Occupancy++;
        if (p.Plate is null) Counters.UnreadEntries++;
        var transit = Matcher.Open(p);
        // An exit may have come before its (late) entry: it waits among the orphans.
        if (p.Plate is { } plate)
        {
            if (OrphanOf(plate.Text, transit.EnteredAt) is { } orphan)
            {
                // Out of the hand-out first: its holder, weighed again on losing it, must not take it back.
                Matcher.Orphans.Remove(orphan);
                Release(orphan, now);
                CloseMatched(transit, orphan.Passage, ExitMatch.Exact, now);
                return;
            }
        }
        Reweigh(transit, now);
    }

    /// <summary>The first unmatched exit of this plate after <paramref name="enteredAt"/>. A loop, not a lambda: every entry asks.</summary>
    private OrphanExit? OrphanOf(string plate, DateTimeOffset enteredAt)
    {
        foreach (var o in Matcher.Orphans)
            if (o.At > enteredAt && o.Passage.Plate?.Text == plate) return o;
        return null;
    }

    /// <summary>
    /// The unmatched exit of this passage. A loop, not a lambda: a lambda's captures are made on
    /// entry to the method that holds it, for every exit, whether it gets this far or not.
    /// </summary>
    private OrphanExit? OrphanWith(Guid exitEventId)
    {
        foreach (var o in Matcher.Orphans)
            if (o.Passage.EventId == exitEventId) return o;
        return null;
    }

    /// <summary>An exit agent says the last sequence number it gave: those not received are late.</summary>
    public void OnExitAgentStatus(string agentId, long lastSeq, DateTimeOffset at) =>
        Counters.LateFromStatus += Matcher.ExitGaps.ObserveLastSeq(agentId, lastSeq, at);

    private void OnExit(Passage p, DateTimeOffset now)
    {
        Counters.Exits++;
        if (Occupancy > 0) Occupancy--;
        if (p.Plate is null) Counters.UnreadExits++;
        var filledGap = Matcher.ExitGaps.Observe(p.AgentId, p.Seq, p.Lane, p.CapturedAt);
        Place(p, now);
        if (filledGap) ReweighAwaitingLatePassage(now);
    }

    /// <summary>Closes the transit an exit passage matches, or keeps it as an unmatched exit.</summary>
    private void Place(Passage p, DateTimeOffset now)
    {
        var match = Matcher.FindMatch(p, _congestion.TimeCounts);
        if (match.Transit is { } transit)
        {
            if (match.Rematch)
            {
                // Its own exit came after all: the exit that closed it (fuzzy, or inferred) belongs to someone else.
                Counters.Rematched++;
                var wrongExit = transit.Exit!;
                Matcher.Reopen(transit);
                CloseMatched(transit, p, ExitMatch.Exact, now);
                AddOrphan(wrongExit, now);
                ClearSharedAlarm(transit, p, now);
                return;
            }
            CloseMatched(transit, p, match.How, now);
            ClearSharedAlarm(transit, p, now);
            return;
        }
        AddOrphan(p, now);
        // A missing exit that has now arrived may have been what kept a vehicle from looking stopped.
        ReweighLane(p.Lane, now);
    }

    private void AddOrphan(Passage exit, DateTimeOffset now)
    {
        Counters.UnmatchedExits++;
        var orphan = new OrphanExit(exit);
        Matcher.Orphans.Add(orphan);
        Claim(orphan, now, depth: 0);
    }

    private void CloseMatched(Transit transit, Passage exit, ExitMatch how, DateTimeOffset now)
    {
        if (how == ExitMatch.Exact) Counters.ExactMatches++; else Counters.FuzzyMatches++;
        var released = transit.ProbableExit;
        transit.ProbableExit = null;
        if (released is not null) released.ClaimedBy = null;
        Matcher.Close(transit, exit, how);
        _ended(Key, transit);
        var elapsed = exit.CapturedAt - transit.EnteredAt;
        if (transit.AlarmId is null)
        {
            if (Matcher.TimesFor(transit).Add(elapsed)) LookSoonerAfterRefit(Matcher.TimesFor(transit), now);
            _lanes.LearnLane(changed: exit.Lane != transit.Lane);
            if (exit.Lane == transit.Lane)
            {
                var followers = (int)Math.Min(50, Matcher.LaneEntries(transit.Lane) - transit.LaneEntryIndex);
                _lanes.LearnOrder(followers, transit.Passes.OwnLane);
            }
        }
        else
        {
            var retracted = transit.AlarmRaisedAt is { } raised && exit.CapturedAt < raised;
            if (retracted) Counters.RetractedAlarms++;
            _alarms.ConditionCleared(transit.AlarmId.Value, now,
                retracted ? AlarmReason.Retracted(exit.CapturedAt) : AlarmReason.Left(exit.CapturedAt, exit.Lane));
        }
        RecordOvertake(transit, exit, now);
        // The weighings the overtake set off may have handed the exit to another vehicle, or closed one on it.
        if (released is { ClaimedBy: null } && Matcher.Orphans.Contains(released)) Claim(released, now, depth: 0);
    }

    /// <summary>
    /// The second suspect of an alarm was seen leaving: of the two, it was not the one inside, so the
    /// alarmed vehicle left by the unmatched exit they shared, and its alarm clears.
    /// </summary>
    private void ClearSharedAlarm(Transit leaver, Passage exit, DateTimeOffset now)
    {
        if (leaver.SecondSuspectOf is not { Alarmed: { IsOpen: true, AlarmId: { } alarmId } suspect, Exit: var shared }) return;
        leaver.SecondSuspectOf = null;
        _alarms.ConditionCleared(alarmId, now, AlarmReason.OtherSuspectLeft(exit.CapturedAt, shared.At));
        // The same exit passage, though perhaps another orphan record by now (its holder's own exit undid an inferred close).
        if (OrphanWith(shared.Passage.EventId) is not { } left) return; // aged out: it stays open
        if (left.ClaimedBy is { } holder) holder.ProbableExit = null;
        Counters.InferredExits++;
        Matcher.CloseInferred(suspect, left);
        _ended(Key, suspect);
    }

    /// <summary>
    /// A vehicle that left, having kept its lane, tells on the vehicles still inside that entered
    /// before it: those of its lane, and those of other lanes that entered before it (by a margin for the cameras' clocks).
    /// </summary>
    private void RecordOvertake(Transit leaver, Passage exit, DateTimeOffset now)
    {
        if (exit.Lane != leaver.Lane) return; // it changed lanes: it could pass anyone
        var changed = _buffers.Take();
        for (var lane = 1; lane <= Matcher.Config.Lanes; lane++)
        {
            var own = lane == leaver.Lane;
            var enteredBefore = own ? leaver.EnteredAt : leaver.EnteredAt - _settings.OtherLaneMargin;
            // Nothing opens or closes while the passes are recorded (the weighing waits), so the view holds.
            var open = Matcher.OpenInLane(lane);
            var i = 0;
            for (; i < open.Length && open[i].EnteredAt < enteredBefore; i++)
            {
                var ahead = open[i];
                if (own)
                {
                    if (ahead.Passes.AddOwnLane(exit.CapturedAt)) changed.Add(ahead);
                    continue;
                }
                ahead.Passes.AddOtherLane(leaver.EnteredAt, exit.CapturedAt);
                // Passes in other lanes matter only once its own lane has spoken.
                if (ahead.Passes.OwnLane > 0) changed.Add(ahead);
            }
            if (!own) continue;
            // Those behind it in its lane could not have left before it.
            for (; i < open.Length; i++)
                if (open[i].EnteredAt > leaver.EnteredAt && open[i].AheadLeftAt < exit.CapturedAt) open[i].AheadLeftAt = exit.CapturedAt;
        }
        // Nor could those of other lanes, had they changed into its lane behind it.
        Matcher.KeptLaneLeft(leaver, exit.CapturedAt, now);
        // Weighed after recording: weighing can close transits, which changes the lane lists.
        foreach (var t in changed) Reweigh(t, now);
        _buffers.Give(changed);
    }

    /// <summary>Gives an unmatched exit to the open transit it explains best (a misread or unread exit plate).</summary>
    private void Claim(OrphanExit orphan, DateTimeOffset now, int depth)
    {
        Transit? best = null;
        var bestCost = double.PositiveInfinity;
        var limit = _settings.AlarmLevel + _evidence.MaxDiscount;
        foreach (var t in Matcher.AllOpen)
        {
            var cost = _evidence.ExplainCost(t, orphan, above: Math.Min(bestCost, limit));
            if (cost >= bestCost || cost > limit) continue;
            if (t.ProbableExit is { } held && !BetterSwapped(t, held, orphan, cost)) continue;
            (best, bestCost) = (t, cost);
        }
        if (best is null) return;
        // A poor fit still beats a phantom: an exit nobody else explains goes to whoever explains it at all.
        if (bestCost > _settings.AlarmLevel && bestCost - _evidence.OthersDiscount(orphan, except: best) > _settings.AlarmLevel) return;
        var displaced = best.ProbableExit;
        best.ProbableExit = orphan;
        orphan.ClaimedBy = best;
        if (displaced is not null)
        {
            displaced.ClaimedBy = null;
            if (depth < 3) Claim(displaced, now, depth + 1);
        }
        Reweigh(best, now);
    }

    /// <summary>
    /// Whether <paramref name="t"/>, holding <paramref name="held"/>, should take <paramref name="offered"/>
    /// instead: only if the two exits are then better explained together, each by the best of the
    /// others where <paramref name="t"/> does not take it. Two vehicles entering one behind the other,
    /// one with its plate unread at the entry, the other at the exit, each fit the unread passage
    /// about equally; by fit alone the unread entry would take the unread exit, leave the other vehicle
    /// a read exit of a quite different plate, and that vehicle be alarmed.
    /// </summary>
    private bool BetterSwapped(Transit t, OrphanExit held, OrphanExit offered, double offeredCost)
    {
        var heldCost = _evidence.ExplainCost(t, held);
        if (heldCost <= offeredCost - _evidence.MaxDiscount) return false; // keeping it wins whatever the others
        return offeredCost + _evidence.OthersDiscount(held, except: t) < heldCost + _evidence.OthersDiscount(offered, except: t);
    }

    private void Release(OrphanExit orphan, DateTimeOffset now)
    {
        if (orphan.ClaimedBy is not { } holder) return;
        holder.ProbableExit = null;
        orphan.ClaimedBy = null;
        Reweigh(holder, now);
    }

    private void ReweighLane(int lane, DateTimeOffset now)
    {
        // A copy to walk: weighing can close transits of the lane.
        var copy = _buffers.Take();
        copy.AddRange(Matcher.OpenInLane(lane));
        foreach (var t in copy)
            if (t.AlarmId is null && t.Passes.OwnLane > 0) Reweigh(t, now);
        _buffers.Give(copy);
    }

    /// <summary>Called by the engine when a transit's scheduled time comes.</summary>
    public void OnDue(Transit t, DateTimeOffset now)
    {
        if (!t.IsOpen) return; // left (or given up) since it was scheduled
        if (t.AlarmId is { } alarmId)
        {
            _alarms.Escalate(alarmId, AlarmPriority.Critical, now, AlarmReason.Escalated(now - t.EnteredAt));
            return;
        }
        Reweigh(t, now);
    }

    /// <summary>
    /// The escalation an overdue alarm is owed at <paramref name="now"/>, by the rule <see cref="OnDue"/> applies on its one timer:
    /// its vehicle is still inside <see cref="DetectorSettings.EscalateAfter"/> after the alarm. Asked by the alarm book when a
    /// shelf ends, as the timer passes a shelved alarm by. Only a question: nothing is scheduled or weighed.
    /// </summary>
    public (AlarmPriority Priority, AlarmReason Reason)? EscalationDue(Alarm alarm, DateTimeOffset now)
    {
        if (alarm.Kind != AlarmKind.Overdue) return null;
        foreach (var t in Matcher.AllOpen)
        {
            if (t.AlarmId != alarm.Id) continue;
            return !t.Hazmat && t.AlarmRaisedAt is { } raised && now >= raised + _settings.EscalateAfter
                ? (AlarmPriority.Critical, AlarmReason.Escalated(now - t.EnteredAt))
                : null;
        }
        return null;
    }

    /// <summary>
    /// How often a vehicle held back by a late exit passage looks for another that needs the same passage:
    /// each look weighs every vehicle that waits as well. Over seeds 1 to 10, 5 s gave the same alarms but
    /// one (3 s later) for a third more of that work; 15 s, two alarms 5 and 8 s later.
    /// </summary>
    private static readonly TimeSpan RivalLookEvery = TimeSpan.FromSeconds(10);

    private void Reweigh(Transit t, DateTimeOffset now)
    {
        if (!t.IsOpen || t.AlarmId is not null) return;
        var timeCounts = _congestion.TimeCounts(t) && !QueuedBehindAlarm(t, now);
        var w = _evidence.Weigh(t, now, timeCounts);
        var level = _settings.AlarmLevelFor(t.Hazmat);
        if (w.Evidence >= level && TakeBetterExplanation(t, now, w.Inside, level))
            w = _evidence.Weigh(t, now, timeCounts);

        if (w.Evidence >= level)
        {
            // Many vehicles slow at once is one congestion, not a flood of overdue vehicles.
            if (w.PassPart < level && _congestion.Check(now))
            {
                _due.Schedule(this, t, now + TimeSpan.FromSeconds(30));
                return;
            }
            var second = SecondSuspect(t, now, level) ?? (w.LateGap is { } late ? _evidence.DisplacingRival(t, late, now, timeCounts, level) : null);
            if (second is null && ReopenGuessThatFits(t, level)) second = SecondSuspect(t, now, level);
            Raise(t, now, w, second);
            return;
        }
        // Not while an exit passage still on its way explains it as well: that passage will settle it.
        if (w.Inside >= level && t.ProbableExit is { } orphan && w.LeftUnseen <= _settings.InferredExitMaxCost
            && w.LeftUnseen < w.LateExit && !Contested(orphan, t, now, level) && !SharesAnAlarm(t, orphan, now, level))
        {
            // It is not inside any more; the unmatched exit was it.
            Counters.InferredExits++;
            Matcher.CloseInferred(t, orphan);
            _ended(Key, t);
            return;
        }
        // Next look: when the clock alone would carry the evidence over the level.
        var needed = level - w.PassPart;
        var due = t.EnteredAt + w.HeldBack + Matcher.TimesFor(t).ElapsedForSurprise(needed);
        // Where "it changed lanes and drove on" is what keeps the alarm back, the clock alone does not
        // say when that story fails: it gets dearer as its lane's followers' hand-over must come earlier,
        // and at once when the vehicle ahead in the other lane leaves, which is no passage of its own lane.
        // (Where an exit it may have left by keeps the alarm back, that exit's fate brings the next look.)
        if (w.ChangedLanes && t.Passes.OwnLane > 0 && w.Inside <= w.LeftUnseen && due > now + ChangedLanesLook) due = now + ChangedLanesLook;
        var clockDecides = timeCounts && due > now;
        t.ClockNeeds = clockDecides ? (needed, w.HeldBack) : (double.NaN, TimeSpan.Zero);
        if (!clockDecides) due = now + TimeSpan.FromSeconds(30);
        // Only an exit passage still on its way holds the alarm back, and that story ends without a
        // word to this vehicle: the passage turns up as someone else's, or the gap is written off.
        if (w.Inside >= level && w.LateExit < level)
        {
            // Unless another vehicle that looks stopped needs that one passage as much: then one of the two is
            // inside whoever it turns out to be, and the alarm names both (the passage, when it comes, tells).
            // Looked for every few seconds, not at every passage: it asks every vehicle that waits as well.
            if (w.LateExit <= w.LeftUnseen && w.LateGap is { } gap && now.UtcDateTime - t.RivalLookedFor >= RivalLookEvery)
            {
                t.RivalLookedFor = now.UtcDateTime;
                if (_evidence.LatePassageRival(t, gap, _awaitingLatePassage, now, timeCounts, level) is { } rival)
                {
                    // Its reason is the evidence that it is inside, which the late passage alone answers.
                    Raise(t, now, w with { Evidence = w.Inside }, rival);
                    return;
                }
            }
            _awaitingLatePassage.Add(t);
        }
        _due.Schedule(this, t, due < now + RecheckStep ? now + RecheckStep : due);
    }

    /// <summary>
    /// A new fit of a transit-time model moves the time at which the clock alone carries each vehicle of
    /// that kind over the level: a look scheduled by the old fit would come late where the new one is
    /// stricter (a stopped car was once missed by the three seconds that took).
    /// </summary>
    private void LookSoonerAfterRefit(TransitTimeModel times, DateTimeOffset now)
    {
        foreach (var t in Matcher.AllOpen)
        {
            if (t.AlarmId is not null || double.IsNaN(t.ClockNeeds.Surprise) || Matcher.TimesFor(t) != times) continue;
            var due = t.EnteredAt + t.ClockNeeds.HeldBack + times.ElapsedForSurprise(t.ClockNeeds.Surprise);
            if (due < now + RecheckStep) due = now + RecheckStep;
            // Moved by less than the scheduler's step, the look is not worth another queue entry.
            if (due < t.DueAt - RecheckStep) _due.Schedule(this, t, due);
        }
    }

    private void ReweighAwaitingLatePassage(DateTimeOffset now)
    {
        if (_awaitingLatePassage.Count == 0) return;
        var waiting = _buffers.Take();
        waiting.AddRange(_awaitingLatePassage);
        _awaitingLatePassage.Clear();
        foreach (var t in waiting) Reweigh(t, now);
        _buffers.Give(waiting);
    }

    /// <summary>
    /// Before calling a vehicle stopped, hand the unmatched exits out again among the vehicles that
    /// would look stopped without one (<see cref="ExitHandout"/>). A vehicle whose exit passage is
    /// probably just late does not need one; staying inside costs a vehicle no more than being
    /// declared stopped. True if <paramref name="t"/> now holds one.
    /// </summary>
    private bool TakeBetterExplanation(Transit t, DateTimeOffset now, double inside, double level)
    {
        var stay = Math.Min(inside, level);
        var exits = Matcher.Orphans;
        if (!exits.Any(o => _evidence.ExplainCost(t, o) - _evidence.MaxDiscount < stay)) return false;
        var needy = new Dictionary<Transit, double> { [t] = stay };
        foreach (var other in Matcher.AllOpen)
        {
            if (other == t || other.AlarmId is not null) continue;
            var w = _evidence.Weigh(other, now, _congestion.TimeCounts(other));
            if (w.WithoutOrphan >= level / 2) needy[other] = Math.Min(w.WithoutOrphan, level);
        }
        var spent = SpentExitsThatMatter(needy);
        // Closed on its exit because staying inside cost it the level or more; it may take that exit only.
        foreach (var guess in spent.Keys) needy[guess] = level;
        var given = spent.Count == 0 ? ExitHandout.Decide(_evidence, needy, exits)
            : ExitHandout.Decide(_evidence, needy, [.. exits, .. spent.Values], (vehicle, exit) => !spent.TryGetValue(vehicle, out var own) || own == exit);
        if (!given.ContainsValue(t)) return false;
        // Taking it from a vehicle left with none that would then look stopped trades one alarm for another, and
        // two vehicles asking in turn would hand it back and forth with neither alarmed: one of the two
        // is inside, and the alarm names both (SecondSuspect).
        if (given.Any(g => g.Value == t && g.Key.ClaimedBy is { } holder && holder != t
                && !given.ContainsValue(holder) && needy.GetValueOrDefault(holder) >= level)) return false;
        var touched = new HashSet<Transit>();
        foreach (var (guess, exit) in spent)
        {
            // Its exit still its own, or nobody else's: it stays closed on it (put back because the hand-out would
            // rather have it inside, it closed again on its exit at once, and was put back again: a replay looped).
            if (given.GetValueOrDefault(exit) is not { } taker || taker == guess) { given.Remove(exit); continue; }
            // Inside after all: back in, its exit to the vehicle the hand-out gave it.
            Counters.ReopenedGuesses++;
            Matcher.Reopen(guess);
            Matcher.Orphans.Add(exit);
            touched.Add(guess);
        }
        foreach (var (orphan, taker) in given)
        {
            if (orphan.ClaimedBy == taker) continue;
            if (orphan.ClaimedBy is { } loser) { loser.ProbableExit = null; touched.Add(loser); Counters.Reassigned++; }
            if (taker.ProbableExit is { } previous && previous.ClaimedBy == taker) previous.ClaimedBy = null;
            taker.ProbableExit = orphan;
            orphan.ClaimedBy = taker;
            touched.Add(taker);
        }
        touched.Remove(t);
        // Weighed on the next turn of the clock, not from inside this hand-out: two vehicles asking in
        // turn must not recurse into each other.
        foreach (var other in touched) _due.Schedule(this, other, now + RecheckStep);
        return true;
    }

    /// <summary>
    /// The vehicles lately closed on an unmatched exit (they looked stopped but for it) whose exit a vehicle of the
    /// hand-out could have left by, each with that exit as an unmatched exit once more, to join the hand-out. A chain of
    /// them is undone so: on seed 94 a hazmat truck stopped and was closed on the unread exit of the car that passed
    /// it, the car took the unread exit of the vehicle behind it, and that vehicle, with the car, was alarmed for the
    /// 39 minutes the truck stood.
    /// </summary>
    private Dictionary<Transit, OrphanExit> SpentExitsThatMatter(Dictionary<Transit, double> needy)
    {
        var spent = new Dictionary<Transit, OrphanExit>();
        foreach (var guess in Matcher.RecentInferred)
        {
            if (guess.AlarmId is not null) continue;
            var exit = new OrphanExit(guess.Exit!);
            foreach (var (vehicle, stay) in needy)
            {
                if (_evidence.ExplainCost(vehicle, exit, above: stay + _evidence.MaxDiscount) - _evidence.MaxDiscount >= stay) continue;
                spent[guess] = exit;
                break;
            }
        }
        return spent;
    }

    /// <summary>
    /// Whether another vehicle that looks stopped could just as well have left by this exit. Then one
    /// of the two is still inside and the exit cannot tell which (a stopped vehicle, and the unread
    /// plate of the first vehicle to pass it): the holder may not close on it, and the alarm that
    /// follows names both (<see cref="SecondSuspect"/>).
    /// </summary>
    private bool Contested(OrphanExit orphan, Transit holder, DateTimeOffset now, double level)
    {
        var holderFit = _evidence.ExplainCost(holder, orphan);
        foreach (var other in Matcher.AllOpen)
        {
            if (other == holder || other.AlarmId is not null || other.ProbableExit is not null) continue;
            var fit = _evidence.ExplainCost(other, orphan, above: Math.Min(level, holderFit + _settings.AmbiguityMargin));
            if (fit >= level || fit > holderFit + _settings.AmbiguityMargin) continue;
            // Clearly its exit, not the holder's: it has yet to miss it.
            if (fit + _settings.AmbiguityMargin < holderFit) return true;
            if (_evidence.Weigh(other, now, _congestion.TimeCounts(other)).Inside >= level / 2) return true;
        }
        return false;
    }

    /// <summary>
    /// The vehicle holding an unmatched exit that fits <paramref name="t"/> about as well, or that would
    /// look stopped itself without it: then one of the two left by that exit and the other is inside,
    /// and no passage can tell which (a stopped vehicle, and the unread plate of the first vehicle to
    /// pass it). One alarm names both, the vehicle that looked stopped first ahead; two alarms would
    /// make one of them false.
    /// </summary>
    private Transit? SecondSuspect(Transit t, DateTimeOffset now, double level)
    {
        Transit? best = null;
        OrphanExit? bestExit = null;
        var bestMargin = double.PositiveInfinity;
        foreach (var orphan in Matcher.Orphans)
        {
            // One already named by another active alarm stays with that one: naming it anew would drop the
            // first alarm's link, and its exit would then close it as gone while that alarm still names it.
            if (orphan.ClaimedBy is not { } holder || holder == t || holder.AlarmId is not null || NamedByActiveAlarm(holder)) continue;
            var fit = _evidence.ExplainCost(t, orphan);
            if (fit >= level) continue;
            var margin = fit - _evidence.ExplainCost(holder, orphan);
            if (margin >= bestMargin) continue;
            if (margin > _settings.AmbiguityMargin && _evidence.Weigh(holder, now, _congestion.TimeCounts(holder)).WithoutOrphan < level) continue;
            (best, bestExit, bestMargin) = (holder, orphan, margin);
        }
        if (best is not null) best.SecondSuspectOf = new SharedAlarm(t, bestExit!);
        return best;
    }

    /// <summary>
    /// Before a vehicle is alarmed with nobody else to name, a vehicle closed on an unmatched exit that would explain this one
    /// as well goes back inside, holding that exit, and so becomes the alarm's second suspect (<see cref="SecondSuspect"/>): the
    /// exit cannot tell which of the two left by it. A car stopped for twelve minutes was closed on the unread exit of the first
    /// car to pass it, and only the passer was alarmed (simulated seed 92).
    /// </summary>
    private bool ReopenGuessThatFits(Transit t, double level)
    {
        Transit? best = null;
        var bestFit = level;
        foreach (var guess in Matcher.RecentInferred)
        {
            if (guess.AlarmId is not null) continue;
            var fit = _evidence.ExplainCost(t, new OrphanExit(guess.Exit!), above: bestFit);
            if (fit < bestFit) (best, bestFit) = (guess, fit);
        }
        if (best is null) return false;
        Counters.ReopenedGuesses++;
        Matcher.ReopenInferred(best);
        return true;
    }

    /// <summary>Whether <paramref name="t"/> is the second suspect of an alarm still open on a vehicle inside.</summary>
    private bool NamedByActiveAlarm(Transit t) =>
        t.SecondSuspectOf is { Alarmed: { IsOpen: true, AlarmId: { } named } } && _alarms.Find(named) is { ConditionActive: true };

    /// <summary>
    /// Whether <paramref name="t"/> is, or now becomes, the second suspect of an active overdue alarm: it
    /// looks stopped but for the exit it holds, and that exit would explain an alarmed vehicle too. Then
    /// one of the two is inside; the alarm names both, and <paramref name="t"/> stays until one of them is
    /// seen leaving (<see cref="ClearSharedAlarm"/>).
    /// </summary>
    private bool SharesAnAlarm(Transit t, OrphanExit exit, DateTimeOffset now, double level)
    {
        if (NamedByActiveAlarm(t)) return true;
        foreach (var alarmed in Matcher.AllOpen)
        {
            if (alarmed.AlarmId is not { } id || _alarms.Find(id) is not { ConditionActive: true, Raised.Alternative: null }) continue;
            if (_evidence.ExplainCost(alarmed, exit) >= level) continue;
            t.SecondSuspectOf = new SharedAlarm(alarmed, exit);
            Counters.SharedAlarms++;
            _alarms.NameSecondSuspect(id, AsSuspect(t), now, AlarmReason.SecondSuspect(t.Lane, exit.At));
            return true;
        }
        return false;
    }

    /// <summary>
    /// Vehicles behind a vehicle alarmed as stopped, in its lane, are late for that reason alone while
    /// it blocks the lane: its followers queue up to squeeze past it one at a time, those that entered
    /// after its alarm as much as those already behind it. For half an hour at most: an alarm still
    /// open after that more likely lost its exit than still holds a queue, and would otherwise take
    /// time evidence from its lane for hours.
    /// </summary>
    private bool QueuedBehindAlarm(Transit t, DateTimeOffset now)
    {
        var lane = Matcher.OpenInLane(t.Lane);
        for (var i = 0; i < lane.Length && lane[i].EnteredAt < t.EnteredAt; i++)
            if (lane[i].AlarmRaisedAt is { } raised && now - raised < QueueClears) return true;
        return false;
    }

    private static readonly TimeSpan QueueClears = TimeSpan.FromMinutes(30);

    private void Raise(Transit t, DateTimeOffset now, OverdueEvidence.Weighing w, Transit? secondSuspect)
    {
        var id = AlarmIds.ForOverdue(t.EntryEventId);
        t.AlarmId = id;
        t.AlarmRaisedAt = now;
        Counters.OverdueAlarms++;
        if (secondSuspect is not null) Counters.SharedAlarms++;
        var expected = Matcher.TimesFor(t).Median;
        var inside = now - t.EnteredAt;
        var reason = w.PassPart >= w.TimePart
            ? AlarmReason.Overtaken(t.Passes.OwnLane, t.Lane, t.Passes.OtherLanes, inside, expected, w.Evidence)
            : AlarmReason.OverTime(inside, expected, w.Evidence);
        _alarms.Raise(new AlarmTransition
        {
            AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged,
            Priority = t.Hazmat ? AlarmPriority.Critical : AlarmPriority.High,
            Site = Key.Site, Bore = Key.Bore, Plate = t.Plate?.Text, At = now,
            EntryEventId = t.EntryEventId, Lane = t.Lane, EnteredAt = t.EnteredAt,
            ElapsedSeconds = Math.Round(inside.TotalSeconds, 1),
            VehicleClass = t.Class, PlateColor = t.Plate?.Color, Hazmat = t.Hazmat,
            Alternative = secondSuspect is { } other ? AsSuspect(other) : null,
        }.WithReason(reason));
        if (!t.Hazmat) _due.Schedule(this, t, now + _settings.EscalateAfter);
    }

    private static AlarmAlternative AsSuspect(Transit t) => new(t.Plate?.Text, t.EntryEventId, t.Lane, t.EnteredAt, t.Class, t.Plate?.Color, t.Hazmat);

    public void AdoptCongestionAlarm(Guid storedAlarmId) => _congestion.Adopt(storedAlarmId);

    /// <summary>Unclaimed unmatched exits past their lifetime go, the rest keep their order (no lambda per tick).</summary>
    private void ExpireOrphans(DateTimeOffset now)
    {
        var orphans = Matcher.Orphans;
        var kept = 0;
        for (var i = 0; i < orphans.Count; i++)
        {
            var o = orphans[i];
            if (o.ClaimedBy is null && now - o.At > _settings.OrphanLifetime) continue;
            orphans[kept++] = o;
        }
        orphans.RemoveRange(kept, orphans.Count - kept);
    }

    /// <summary>
    /// An operator saw the vehicle leave, or found the bore clear of it, where no camera did (its exit plate unread, its
    /// entry plate unread so that its exit matched nothing): it is no longer inside, counted or named. An unmatched exit it
    /// held, the one that fitted it best, is taken for the exit it left by (and had counted it out). False when it is not
    /// tracked inside (left, given up, or never seen).
    /// </summary>
    public bool SeenLeaving(Guid entryEventId)
    {
        if (Matcher.AllOpen.FirstOrDefault(t => t.EntryEventId == entryEventId) is not { } gone) return false;
        Counters.SeenLeaving++;
        _awaitingLatePassage.Remove(gone);
        // The exit it held counted it out of the bore already.
        if (gone.ProbableExit is { } held) Matcher.Orphans.Remove(held);
        else if (Occupancy > 0) Occupancy--;
        Matcher.Drop(gone, ExitMatch.SeenLeaving);
        _ended(Key, gone);
        return true;
    }

    /// <summary>Housekeeping on the engine's tick: gaps and orphans age out, congestion comes and goes.</summary>
    public void OnTick(DateTimeOffset now)
    {
        var before = Matcher.ExitGaps.Open.Count;
        Matcher.ExitGaps.Expire(now, _settings.GapLifetime);
        Counters.LostPassages += before - Matcher.ExitGaps.Open.Count;
        if (Matcher.ExitGaps.Open.Count < before) ReweighAwaitingLatePassage(now);
        ExpireOrphans(now);
        List<Transit>? stales = null;
        foreach (var t in Matcher.AllOpen)
            if (now - t.EnteredAt > _settings.MaxTracked) (stales ??= []).Add(t);
        foreach (var stale in stales ?? [])
        {
            Counters.Dropped++;
            Matcher.Drop(stale);
            _ended(Key, stale);
            if (stale.AlarmId is { } id) _alarms.ConditionCleared(id, now, AlarmReason.Untracked(_settings.MaxTracked));
        }
        _congestion.Tick(now);
    }
}

/// <summary>What one bore has seen, for the console, the logs and the metrics.</summary>
public sealed class BoreCounters
{
    public long Entries { get; set; }
    public long Exits { get; set; }
    public long UnreadEntries { get; set; }
    public long UnreadExits { get; set; }
    public long ExactMatches { get; set; }
    public long FuzzyMatches { get; set; }
    public long InferredExits { get; set; }
    public long Rematched { get; set; }
    /// <summary>Vehicles closed on an unmatched exit put back inside because a vehicle about to be alarmed fitted that exit as well.</summary>
    public long ReopenedGuesses { get; set; }
    /// <summary>Exits that matched no transit by plate when they came (some are later placed by lane order).</summary>
    public long UnmatchedExits { get; set; }
    public long OverdueAlarms { get; set; }
    public long RetractedAlarms { get; set; }
    public long LostPassages { get; set; }
    /// <summary>Overdue alarms that name a second suspect: an unmatched exit or a late passage fits both vehicles.</summary>
    public long SharedAlarms { get; set; }
    /// <summary>Exit passages an agent's status showed missing before the camera's next passage did.</summary>
    public long LateFromStatus { get; set; }
    /// <summary>Unmatched exits moved to another vehicle they explain better.</summary>
    public long Reassigned { get; set; }
    /// <summary>Transits given up on after <see cref="DetectorSettings.MaxTracked"/>.</summary>
    public long Dropped { get; set; }
    /// <summary>Vehicles an operator saw leave, or found gone, where no camera did (<see cref="BoreMonitor.SeenLeaving"/>).</summary>
    public long SeenLeaving { get; set; }
}
