using Tunnel.Central.Matching;

namespace Tunnel.Central.Overdue;

/// <summary>
/// Weighs one open transit, in nats, "stopped" against the cheapest story in which the vehicle is
/// fine: (a) still driving in its lane: elapsed time against the bore's recent transits, plus later
/// entrants of its lane that left first; (b) still driving after changing lanes: the lane change, how
/// slow it must have been, and whether one change point suits both the later entrants of other lanes
/// that left first (they overtook it before it changed) and those of its own lane (held behind it
/// until then); (c) already gone unseen: an unmatched exit that may be it misread, or an exit passage
/// still on its way that no other vehicle needs more.
/// </summary>
public sealed class OverdueEvidence(DetectorSettings settings, BoreMatcher matcher, LaneDiscipline lanes, Func<Transit, bool> timeCounts)
{
    /// <param name="LateExit">Cost of "it left by an exit passage not delivered yet".</param>
    /// <param name="HeldBack">How long the vehicles ahead of it in its lane kept it from leaving on its own time (<see cref="HeldBackBy"/>).</param>
    /// <param name="ChangedLanes">Whether "it changed lanes and is still driving" is the cheapest story of it inside.</param>
    /// <param name="LateGap">The sequence gap whose missing passage is its cheapest late exit, if any.</param>
    public readonly record struct Weighing(double Evidence, double Inside, double TimePart, double PassPart, double LeftUnseen, double LateExit,
        TimeSpan HeldBack, bool ChangedLanes, Gap? LateGap)
    {
        /// <summary>The evidence were it to hold no unmatched exit: what it loses if its exit goes to another vehicle.</summary>
        public double WithoutOrphan => Math.Min(Inside, LateExit);
    }

    public Weighing Weigh(Transit t, DateTimeOffset now, bool timeCounts)
    {
        var (inside, timePart, held, keptLane) = Inside(t, now, timeCounts);
        // Rivals for a late passage are looked for only where it is what keeps an alarm back.
        var late = LateExit(t, now, timeCounts, stay: inside >= settings.AlarmLevelFor(t.Hazmat) ? Math.Min(inside, settings.AlarmLevel) : 0, out var lateGap);
        var unseen = t.ProbableExit is { } orphan ? Math.Min(HeldExitCost(t, orphan, timeCounts), late) : late;
        return new Weighing(Math.Min(inside, unseen), inside, timePart, inside - timePart, unseen, late, held, inside < keptLane, lateGap);
    }

    /// <summary>The cheapest story of it inside and fine, kept lane or changed, and the parts of the kept-lane one.</summary>
    private (double Inside, double TimePart, TimeSpan Held, double KeptLane) Inside(Transit t, DateTimeOffset now, bool timeCounts)
    {
        var held = timeCounts ? HeldBackBy(t, t.Lane, now) : TimeSpan.Zero;
        var timePart = timeCounts ? matcher.TimesFor(t).Surprise(now - t.EnteredAt - held) : 0;
        var keptLane = timePart + t.Passes.OwnLane * lanes.PassEvidence;
        return (ChangedLanesAndDriving(t, now, timeCounts, held, keptLane), timePart, held, keptLane);
    }

    /// <summary>
    /// Lanes inside are first in, first out: a vehicle leaves no sooner than the vehicles ahead of it in
    /// its lane, so a slow one ahead makes every vehicle behind it late for that reason alone. The time
    /// it was held is what its usual transit would have had it leave before the last of them (left, or
    /// still inside and not alarmed; an alarmed one is <see cref="Engine.BoreMonitor"/>'s queue rule).
    /// In another lane than its own (had it changed lanes), the same of that lane's vehicles.
    /// </summary>
    private TimeSpan HeldBackBy(Transit t, int laneNumber, DateTimeOffset now)
    {
        // Had it changed into another lane behind a vehicle that has left, it followed that one out
        // within moments; later, that vehicle explains nothing.
        var until = laneNumber == t.Lane ? t.AheadLeftAt
            : matcher.LastLeftAhead(laneNumber, t.EnteredAt) is var left && now - left <= FollowsOutWithin ? left : DateTimeOffset.MinValue;
        var lane = matcher.OpenInLane(laneNumber);
        var i = lane.Length - 1;
        while (i >= 0 && lane[i].EnteredAt >= t.EnteredAt) i--;
        // The one just ahead, unless others of the lane got past it (stopped, or gone with its exit unread).
        if (i >= 0 && lane[i] is { AlarmId: null, Passes.OwnLane: 0 } ahead)
        {
            var leaves = ahead.ProbableExit?.At ?? now;
            if (leaves > until) until = leaves;
        }
        return HeldUntil(t, until);
    }

    /// <summary>
    /// Had it left at <paramref name="leftAt"/>, how long the vehicles ahead of it in its lane that left
    /// before then kept it from leaving on its own time: a story in which it left then judges its transit
    /// less that, as "still inside" judges its elapsed time less <see cref="HeldBackBy"/>.
    /// </summary>
    private TimeSpan HeldBefore(Transit t, DateTimeOffset leftAt) => HeldUntil(t, t.AheadLeftAt < leftAt ? t.AheadLeftAt : leftAt);

    /// <summary>How much later than on its own time it leaves, following out a vehicle ahead that left at <paramref name="until"/>.</summary>
    private TimeSpan HeldUntil(Transit t, DateTimeOffset until)
    {
        var free = t.EnteredAt + matcher.TimesFor(t).Median;
        return until + Headway > free ? until + Headway - free : TimeSpan.Zero;
    }

    /// <summary>How soon a vehicle held behind another leaves after it: the headway, and some slack for the exit cameras' clocks.</summary>
    private static readonly TimeSpan FollowsOutWithin = TimeSpan.FromSeconds(10);

    /// <summary>The least gap between two vehicles of a lane leaving one after the other.</summary>
    private static readonly TimeSpan Headway = TimeSpan.FromSeconds(2);

    /// <summary>
    /// "It changed lanes and is still driving", or <paramref name="cheaper"/> if no such story is: it
    /// leaves some time from now, and the later it leaves the slower it drove, which costs time
    /// evidence but explains more easily how entrants of other lanes got ahead of it. The cheapest
    /// such time, looked for up to twice its elapsed time; where time does not count, as if it left now.
    /// </summary>
    private double ChangedLanesAndDriving(Transit t, DateTimeOffset now, bool timeCounts, TimeSpan held, double cheaper)
    {
        // The change alone costs more than keeping the lane: most weighings, where nobody has passed it.
        if (cheaper <= lanes.LaneChangeCost) return cheaper;
        var times = matcher.TimesFor(t);
        var elapsed = now - t.EnteredAt;
        var best = cheaper;
        // After the change it was behind the vehicles of its new lane: the slowest lane it could be in,
        // as far as it could have changed in behind them (see HolderWindows).
        var (into, ownHeld) = (t.Lane, held);
        if (timeCounts)
            for (var lane = 1; lane <= matcher.Config.Lanes; lane++)
                if (lane != t.Lane && HeldBackBy(t, lane, now) is var other && other > held) (held, into) = (other, lane);
        // No window holds it past now: with that, "slow" stays below every window's cost, and most
        // weighings stop at the first step, before any window is worked out.
        if (into != t.Lane && HeldUntil(t, now) is var most && most > held) held = most;
        Span<double> windowEnds = stackalloc double[MaxWindows];
        Span<double> windowHeld = stackalloc double[MaxWindows];
        Span<double> windowWeights = stackalloc double[MaxWindows];
        var windows = 0;
        Span<long> ticks = stackalloc long[PassLog.Keep * 2];
        Span<double> seconds = stackalloc double[PassLog.Keep * 3];
        scoped PasserTimes passers = default;
        var known = false; // most weighings stop at the first step, before any change point or window is weighed
        for (var step = 0; step <= LeaveSteps; step++)
        {
            var leaves = elapsed * (1 + (double)step / LeaveSteps);
            var slow = lanes.LaneChangeCost + (timeCounts ? times.Surprise(leaves - held) : 0);
            if (slow >= best) break;
            if (!known)
            {
                // Where time does not count the vehicles crawl and zip together: no steady speed places a
                // change point, and only an entrant of another lane well behind it speaks against the story.
                passers = new PasserTimes(t, ticks, seconds, timeCounts ? TimeSpan.Zero : settings.CrawlLaneMargin);
                if (into != t.Lane) windows = HolderWindows(t, into, now, ownHeld, windowEnds, windowHeld);
                if (timeCounts && ownHeld > TimeSpan.Zero) windows = WithOwnHold(windowEnds, windowHeld, windows, ownHeld.TotalSeconds);
                known = true;
            }
            // Where held by nobody it is hardly later than held the longest, every window weighs about alike
            // (and the story is a little cheaper for taking them so).
            if (windows == 0 || timeCounts && times.Surprise(leaves) - (slow - lanes.LaneChangeCost) < AlikeWithin) best = Math.Min(best, slow + ChangePointCost(t, t.EnteredAt + leaves, passers));
            else
            {
                for (var k = 0; k < windows; k++)
                    windowWeights[k] = times.Survival(leaves - TimeSpan.FromSeconds(windowHeld[k]));
                best = Math.Min(best, lanes.LaneChangeCost + ChangePointCost(t, t.EnteredAt + leaves, passers, windowEnds[..windows], windowWeights[..windows]));
            }
            // Leaving later only helps against passers of other lanes, and only says more than "it
            // leaves now" where its speed can be weighed.
            if (t.Passes.OtherLanes == 0 || !timeCounts) break;
        }
        return best;
    }

    private const int LeaveSteps = 40;

    /// <summary>Windows whose time evidence differs by less than this (nats) are weighed as one.</summary>
    private const double AlikeWithin = 0.05;

    /// <summary>The most vehicles of the new lane looked at as the one it changed in behind.</summary>
    private const int MaxHolders = 6;

    /// <summary>Pieces of the bore in which its own lane's hold is weighed as one (<see cref="WithOwnHold"/>).</summary>
    private const int OwnHoldPieces = 8;

    private const int MaxWindows = MaxHolders + 1 + OwnHoldPieces;

    /// <summary>
    /// Which vehicle of <paramref name="lane"/> it would have been behind, had it changed into that lane a
    /// given share of the way along: at its own pace in its lane (<paramref name="ownHeld"/> included) it
    /// overtook a slower vehicle of that lane that entered d before it a share d / (T − τ) of the way in, and
    /// changing later it came in ahead of that one, behind the next. Fills the shares at which each window
    /// ends (the last at 1) and how long the vehicle ahead in each held it up; returns how many. Without
    /// this, "it changed in behind that slow truck" excused it wherever the change came, even where the
    /// other lane's later entrants that left first say it came too late to be behind the truck.
    /// </summary>
    private int HolderWindows(Transit t, int lane, DateTimeOffset now, TimeSpan ownHeld, Span<double> ends, Span<double> held)
    {
        var pace = (matcher.TimesFor(t).Median + ownHeld).TotalSeconds;
        var open = matcher.OpenInLane(lane);
        var i = open.Length - 1;
        while (i >= 0 && open[i].EnteredAt >= t.EnteredAt) i--;
        var n = 0;
        var reach = 0.0;
        for (; i >= 0 && n < MaxHolders - 1 && reach < 1; i--)
        {
            // Stopped, or gone with its exit unread: nobody behind it was held by it.
            if (open[i] is { AlarmId: null, Passes.OwnLane: 0 } ahead)
                Window(ahead, ahead.ProbableExit?.At ?? now, ends, held, ref n, ref reach);
        }
        // Ahead of all of them: behind one that has just left and followed it out within moments.
        if (reach < 1 && matcher.LastLeaverAhead(lane, t.EnteredAt) is { Leaver: not null } left && now - left.LeftAt <= FollowsOutWithin)
            Window(left.Leaver, left.LeftAt, ends, held, ref n, ref reach);
        // Or held by nobody there.
        if (reach < 1)
        {
            ends[n] = 1;
            held[n++] = 0;
        }
        return n;

        void Window(Transit ahead, DateTimeOffset leaves, Span<double> ends, Span<double> held, ref int n, ref double reach)
        {
            var slower = (leaves - ahead.EnteredAt).TotalSeconds - pace;
            var overtaken = slower <= 0 ? 1 : Math.Min(1, (t.EnteredAt - ahead.EnteredAt).TotalSeconds / slower);
            if (overtaken <= reach) return;
            var h = HeldUntil(t, leaves);
            ends[n] = overtaken;
            held[n++] = h.TotalSeconds;
            reach = overtaken;
        }
    }

    /// <summary>
    /// Its own lane held it up only until it changed lanes: for a change a share c of the way in, at most
    /// a share c of <paramref name="ownHeld"/> (seconds; exactly that for a vehicle ahead that entered with
    /// it, less for one further ahead). Splits the <paramref name="n"/> windows (none: one, held by nobody)
    /// at every <see cref="OwnHoldPieces"/>-th of the bore, each piece held as at its far end, the
    /// longer of the two holds; returns how many.
    /// </summary>
    private static int WithOwnHold(Span<double> ends, Span<double> held, int n, double ownHeld)
    {
        if (n == 0) (ends[0], held[0], n) = (1, 0, 1);
        Span<double> pieceEnds = stackalloc double[MaxWindows];
        Span<double> pieceHeld = stackalloc double[MaxWindows];
        var (m, k, from) = (0, 0, 0.0);
        for (var piece = 1; piece <= OwnHoldPieces; piece++)
        {
            var to = (double)piece / OwnHoldPieces;
            for (; k < n && ends[k] <= to; from = ends[k++])
                (pieceEnds[m], pieceHeld[m++]) = (ends[k], Math.Max(held[k], ends[k] * ownHeld));
            if (k < n && from < to) (pieceEnds[m], pieceHeld[m++], from) = (to, Math.Max(held[k], to * ownHeld), to);
        }
        pieceEnds[..m].CopyTo(ends);
        pieceHeld[..m].CopyTo(held);
        return m;
    }

    /// <summary>
    /// Cost of "it changed lanes somewhere along the bore and left at <paramref name="leftAt"/>", from
    /// the later entrants that left before it. One of another lane could not pass it once it was in
    /// front of it in that lane: at steady speeds, one that entered d later and took T caught up with
    /// it a share d / (τ − T) of the way in, and the change came after that. One of its own lane was
    /// held behind it until the change, and left no earlier than the rest of the bore at its fastest
    /// after that: the change came early enough for that. Steady speeds place those points only
    /// roughly, so each is moved <see cref="DetectorSettings.ChangePointTolerance"/> in the story's
    /// favour. Each passer a change point does not suit broke lane order anyway; the cost weighs every
    /// change point, equally likely along the bore.
    /// </summary>
    internal double ChangePointCost(Transit t, DateTimeOffset leftAt)
    {
        var passers = new PasserTimes(t, stackalloc long[PassLog.Keep * 2], stackalloc double[PassLog.Keep * 3], TimeSpan.Zero);
        return ChangePointCost(t, leftAt, passers);
    }

    /// <summary>
    /// What <see cref="ChangePointCost(Transit, DateTimeOffset)"/> reads of the passers that does not
    /// depend on when the vehicle left: worked out once per weighing, not at each of its up to
    /// <see cref="LeaveSteps"/> + 1 steps (the same expressions, so the same values).
    /// </summary>
    private readonly ref struct PasserTimes
    {
        public readonly ReadOnlySpan<long> OtherLeft; // UTC ticks, compared as the times are
        public readonly ReadOnlySpan<double> OtherLater;
        public readonly ReadOnlySpan<double> OtherTransit;
        public readonly ReadOnlySpan<long> OwnLeft;
        public readonly ReadOnlySpan<double> OwnLeftAfter;

        /// <param name="otherLater">Passers of other lanes that entered less than this after it are left out.</param>
        public PasserTimes(Transit t, Span<long> ticks, Span<double> seconds, TimeSpan otherLater)
        {
            var others = t.Passes.OtherLanePassers;
            var own = t.Passes.OwnLaneLeftTimes;
            var n = 0;
            foreach (var passer in others)
            {
                if (passer.EnteredAt - t.EnteredAt < otherLater) continue;
                ticks[n] = passer.LeftAt.UtcTicks;
                seconds[n] = (passer.EnteredAt - t.EnteredAt).TotalSeconds;
                seconds[others.Length + n] = (passer.LeftAt - passer.EnteredAt).TotalSeconds;
                n++;
            }
            for (var i = 0; i < own.Length; i++)
            {
                ticks[n + i] = own[i].UtcTicks;
                seconds[2 * others.Length + i] = (own[i] - t.EnteredAt).TotalSeconds;
            }
            OtherLeft = ticks[..n];
            OwnLeft = ticks.Slice(n, own.Length);
            OtherLater = seconds[..n];
            OtherTransit = seconds.Slice(others.Length, n);
            OwnLeftAfter = seconds.Slice(2 * others.Length, own.Length);
        }
    }

    private double ChangePointCost(Transit t, DateTimeOffset leftAt, in PasserTimes passers) =>
        ChangePointCost(t, leftAt, passers, [1.0], [1.0]);

    /// <param name="ends">Where along the bore each window of change points ends, the last at 1.</param>
    /// <param name="weights">How likely the rest of the story is for a change point in each window.</param>
    private double ChangePointCost(Transit t, DateTimeOffset leftAt, in PasserTimes passers, ReadOnlySpan<double> ends, ReadOnlySpan<double> weights)
    {
        var transit = (leftAt - t.EnteredAt).TotalSeconds;
        var leftTicks = leftAt.UtcTicks;
        var tolerance = settings.ChangePointTolerance;
        // Where along the bore (0..1) each passer stops or starts to suit a change there, and which way.
        Span<double> at = stackalloc double[PassLog.Keep * 2 + 1];
        Span<int> change = stackalloc int[PassLog.Keep * 2 + 1];
        var count = 0;
        var violated = 0; // at the entry portal: passers of other lanes yet to be overtaken
        for (var p = 0; p < passers.OtherLeft.Length; p++)
        {
            if (passers.OtherLeft[p] >= leftTicks) continue;
            var later = passers.OtherLater[p];
            var gained = transit - passers.OtherTransit[p];
            violated++;
            if (gained > later) (at[count], change[count++]) = (Math.Max(0, later / gained - tolerance), -1);
        }
        var fastest = matcher.Shortest.TotalSeconds;
        for (var p = 0; p < passers.OwnLeft.Length; p++)
        {
            if (passers.OwnLeft[p] >= leftTicks) continue;
            var heldUntil = transit <= fastest ? 1 : (passers.OwnLeftAfter[p] - fastest) / (transit - fastest);
            if (heldUntil <= 0) violated++;
            else if (heldUntil + tolerance < 1) (at[count], change[count++]) = (heldUntil + tolerance, +1);
        }
        if (count == 0)
        {
            var spread = 0.0;
            for (var k = 0; k < ends.Length; k++) spread += (ends[k] - (k == 0 ? 0 : ends[k - 1])) * weights[k];
            return violated * lanes.PassEvidence - Math.Log(spread);
        }
        (at[count], change[count++]) = (1, 0);
        // At most 13 points: an insertion sort, without the library sort's generic dispatch (this runs at every step of every weighing).
        for (var i = 1; i < count; i++)
        {
            var (key, value) = (at[i], change[i]);
            var j = i - 1;
            for (; j >= 0 && at[j] > key; j--) (at[j + 1], change[j + 1]) = (at[j], change[j]);
            (at[j + 1], change[j + 1]) = (key, value);
        }
        var rate = lanes.OrderViolationRate;
        // rate^violated, kept up to date as violated moves by one at each point rather than recomputed.
        var power = lanes.OrderViolationPower(violated);
        var likelihood = 0.0;
        var from = 0.0;
        var w = 0;
        for (var i = 0; i < count; i++)
        {
            for (; w < ends.Length - 1 && ends[w] < at[i]; w++)
            {
                likelihood += (ends[w] - from) * power * weights[w];
                from = ends[w];
            }
            likelihood += (at[i] - from) * power * weights[w];
            if (change[i] > 0) power *= rate;
            else if (change[i] < 0) power /= rate;
            from = at[i];
        }
        return -Math.Log(likelihood);
    }

    /// <summary>Lane-order evidence against "it left by <paramref name="lane"/> at <paramref name="at"/>".</summary>
    private double PassEvidenceLeavingBy(Transit t, int lane, DateTimeOffset at) =>
        lane == t.Lane
            ? t.Passes.OwnLaneBefore(at) * lanes.PassEvidence
            : lanes.LaneChangeCost + ChangePointCost(t, at);

    /// <summary>
    /// Cost of the best story in which the vehicle left by an exit passage the exit cameras have not
    /// delivered yet. <paramref name="stay"/> is what staying inside costs it: a gap it needs less than
    /// other vehicles do is theirs (<see cref="Displacement"/>).
    /// </summary>
    public double LateExit(Transit t, DateTimeOffset now, bool timeCounts, double stay) => LateExit(t, now, timeCounts, stay, out _);

    private double LateExit(Transit t, DateTimeOffset now, bool timeCounts, double stay, out Gap? bestGap)
    {
        var best = double.PositiveInfinity;
        bestGap = null;
        foreach (var gap in matcher.ExitGaps.Open)
        {
            if (gap.Until < t.EnteredAt + matcher.Shortest) continue;
            var cost = LeftByGap(t, gap, timeCounts);
            // Where staying inside is cheaper, the gap is not what keeps its alarm back.
            if (cost < best && stay > cost) cost += Displacement(t, gap, now, need: stay - cost);
            if (cost < best) (best, bestGap) = (cost, gap);
        }
        return best;
    }

    /// <summary>Cost of "it left by the passage missing from <paramref name="gap"/>", on its own.</summary>
    private double LeftByGap(Transit t, Gap gap, bool timeCounts)
    {
        var times = matcher.TimesFor(t);
        // Then its transit ended inside the gap's time span, late by as long as the vehicles ahead of it
        // that had left by then held it up.
        var held = timeCounts ? HeldBefore(t, gap.Until) : TimeSpan.Zero;
        var (from, until) = (gap.From - t.EnteredAt - held, gap.Until - t.EnteredAt - held);
        if (gap.Lane == t.Lane || gap.Until <= gap.From)
        {
            // By its own lane its best time is the fit's: the lane order only gets worse later.
            var fit = !timeCounts || from < times.Median && until > times.Median ? 0 : Math.Min(times.MismatchOrFreeFlow(from), times.MismatchOrFreeFlow(until));
            return GapIsItsExit(t, gap) + fit + PassEvidenceLeavingBy(t, gap.Lane, gap.From);
        }
        // By another lane, leaving later gives the other lane's passers longer to have overtaken it before
        // it changed, while each passer that left meanwhile counts from then on: the fit and the change
        // points are weighed together at the span's ends, its usual time, each passer's leaving and between.
        Span<long> at = stackalloc long[PassLog.Keep * 2 + 3];
        var n = 0;
        at[n++] = gap.From.UtcTicks;
        at[n++] = gap.Until.UtcTicks;
        if (timeCounts && from < times.Median && until > times.Median) at[n++] = (t.EnteredAt + held + times.Median).UtcTicks;
        foreach (var passer in t.Passes.OtherLanePassers)
            if (passer.LeftAt > gap.From && passer.LeftAt < gap.Until) at[n++] = passer.LeftAt.UtcTicks;
        foreach (var left in t.Passes.OwnLaneLeftTimes)
            if (left > gap.From && left < gap.Until) at[n++] = left.UtcTicks;
        at[..n].Sort();
        var passers = new PasserTimes(t, stackalloc long[PassLog.Keep * 2], stackalloc double[PassLog.Keep * 3], TimeSpan.Zero);
        var best = double.PositiveInfinity;
        for (var i = 0; i < 2 * n - 1; i++)
        {
            var leftAt = new DateTimeOffset(i % 2 == 0 ? at[i / 2] : (at[i / 2] + at[i / 2 + 1]) / 2, TimeSpan.Zero);
            var fit = timeCounts ? times.MismatchOrFreeFlow(leftAt - t.EnteredAt - held) : 0;
            if (fit < best) best = Math.Min(best, fit + ChangePointCost(t, leftAt, passers));
        }
        return GapIsItsExit(t, gap) + lanes.LaneChangeCost + best;
    }

    /// <summary>
    /// What "it left by the passage missing from <paramref name="gap"/>" costs on top because other
    /// vehicles need that passage more. A gap holds as many passages as its sequence numbers skip, each
    /// one vehicle's exit, yet every vehicle that would look stopped without it could call on it: the
    /// exit passage of a truck held up in an outbox, and the stopped van that entered a little later in
    /// the other lane. A vehicle's need is how much dearer its best other story is (staying inside, an
    /// unmatched exit, another gap). The passages go to the neediest; a vehicle that clearly needs the
    /// gap less than as many others as it holds pays the least of their needs, since one of them would
    /// then be inside instead. Where it needs it about as much (within <see cref="DetectorSettings.GapRivalMargin"/>),
    /// nobody pays: the passage itself will tell when it comes, and where both would be alarmed without it,
    /// one alarm names both meanwhile (<see cref="LatePassageRival"/>).
    /// </summary>
    private double Displacement(Transit t, Gap gap, DateTimeOffset now, double need)
    {
        var cap = settings.AlarmLevel;
        var bar = need + settings.GapRivalMargin;
        // Candidates with a bound on their need that cheap terms give, so that the dear stories
        // (changed lanes and drove on, every unmatched exit) are weighed for the likeliest rivals only.
        _rivals.Clear();
        // Only a vehicle that entered a fastest transit before the gap ended could have left by it: in
        // entry order, the lanes' oldest vehicles.
        var enteredBy = gap.Until - matcher.Shortest;
        for (var lane = 1; lane <= matcher.Config.Lanes; lane++)
            foreach (var u in matcher.OpenInLane(lane))
            {
                if (u.EnteredAt > enteredBy) break;
                if (u == t || u.AlarmId is not null) continue;
                var counts = timeCounts(u);
                var passes = u.Passes.OwnLane * lanes.PassEvidence;
                // Most of them: neither overtaken nor late enough to need anything.
                if (passes <= bar && (!counts || !matcher.TimesFor(u).Reaches(now - u.EnteredAt, bar - passes))) continue;
                var staying = Math.Min(cap, passes + (counts ? matcher.TimesFor(u).Surprise(now - u.EnteredAt) : 0));
                // Leaving by it costs at least this much without its fit in time or where it changed lanes.
                var least = GapIsItsExit(u, gap) + (gap.Lane == u.Lane ? u.Passes.OwnLaneBefore(gap.From) * lanes.PassEvidence : lanes.LaneChangeCost);
                if (staying - least <= bar) continue;
                var cost = LeftByGap(u, gap, counts);
                if (staying - cost > bar) _rivals.Add(new Rival(u, cost, staying - cost, counts));
            }
        var room = (int)Math.Clamp(gap.ToSeq - gap.FromSeq + 1, 1, MaxRoom);
        if (_rivals.Count < room) return 0;
        _rivals.Sort(static (a, b) => b.Bound.CompareTo(a.Bound));
        // The neediest `room` rivals, least needy first.
        Span<double> top = stackalloc double[MaxRoom];
        var found = 0;
        foreach (var r in _rivals)
        {
            if (found == room && r.Bound <= top[0]) break; // bounds only fall from here
            // A need at or below this changes nothing: not worked out further.
            var matters = found == room ? Math.Max(bar, top[0]) : bar;
            var rivalNeed = OtherStoriesCost(r.Vehicle, gap, now, r.TimeCounts, cap, enough: r.Cost + matters) - r.Cost;
            if (found < room) top[found++] = rivalNeed;
            else if (rivalNeed > top[0]) top[0] = rivalNeed;
            top[..found].Sort();
        }
        return found == room && top[0] > bar ? top[0] : 0;
    }

    /// <summary>
    /// Another vehicle that needs the one late passage <paramref name="t"/> waits for: the gap <paramref name="best"/>,
    /// its cheapest way out, holds a single passage, and the other vehicle, one of <paramref name="waiting"/>
    /// (those held back only by a late passage), would look stopped without it too. Then one of the two is
    /// inside, and waiting for the passage to tell which only delays the alarm.
    /// </summary>
    public Transit? LatePassageRival(Transit t, Gap best, HashSet<Transit> waiting, DateTimeOffset now, bool itsTimeCounts, double level)
    {
        if (best.ToSeq != best.FromSeq) return null;
        foreach (var u in waiting)
            if (BothNeed(t, best, u, now, itsTimeCounts, level)) return u;
        return null;
    }

    /// <summary>
    /// At the alarm of <paramref name="t"/>, the vehicle that keeps from it the one late passage it could have
    /// left by (<see cref="Displacement"/>) where that one would look stopped without it too: then the passage
    /// may still be <paramref name="t"/>'s and the other inside. Looked for among every vehicle inside, since
    /// the other need not look stopped on its own level yet; alarms are few.
    /// </summary>
    public Transit? DisplacingRival(Transit t, Gap best, DateTimeOffset now, bool itsTimeCounts, double level)
    {
        if (best.ToSeq != best.FromSeq || LeftByGap(t, best, itsTimeCounts) >= level) return null;
        foreach (var u in matcher.AllOpen)
            if (BothNeed(t, best, u, now, itsTimeCounts, level)) return u;
        return null;
    }

    /// <summary>Whether <paramref name="t"/> and <paramref name="u"/> would each look stopped (at <paramref name="level"/>) but for the one passage of <paramref name="best"/>.</summary>
    private bool BothNeed(Transit t, Gap best, Transit u, DateTimeOffset now, bool itsTimeCounts, double level)
    {
        // One that holds an unmatched exit has a way out of its own.
        if (u == t || !u.IsOpen || u.AlarmId is not null || u.ProbableExit is not null || u.EnteredAt > best.Until - matcher.Shortest) return false;
        var counts = timeCounts(u);
        if (LeftByGap(u, best, counts) >= level) return false;
        // Each needs the passage were the other gone by it: each one's other ways out are weighed
        // with the other gone (a vehicle that left just behind the other did not overtake it).
        _goneByGap = t;
        var needs = OtherStoriesCost(u, best, now, counts, cap: level, enough: level - 1e-6) >= level;
        _goneByGap = u;
        needs = needs && OtherStoriesCost(t, best, now, itsTimeCounts, cap: level, enough: level - 1e-6) >= level;
        _goneByGap = null;
        return needs;
    }

    /// <summary>While two vehicles' need of one passage is weighed, the one taken to have left by it: nobody overtook it.</summary>
    private Transit? _goneByGap;

    private readonly record struct Rival(Transit Vehicle, double Cost, double Bound, bool TimeCounts);

    private readonly List<Rival> _rivals = [];

    /// <summary>A gap of more passages than this is weighed as this many: a camera's outbox, not a crowd of rivals.</summary>
    private const int MaxRoom = 8;

    /// <summary>
    /// The cheapest story of <paramref name="u"/> but leaving by <paramref name="gap"/>, at most
    /// <paramref name="cap"/>; once one costs no more than <paramref name="enough"/>, that one. The cheap
    /// stories first.
    /// </summary>
    private double OtherStoriesCost(Transit u, Gap gap, DateTimeOffset now, bool timeCounts, double cap, double enough)
    {
        var cost = cap;
        foreach (var other in matcher.ExitGaps.Open)
            if (other != gap && other.Until >= u.EnteredAt + matcher.Shortest) cost = Math.Min(cost, LeftByGap(u, other, timeCounts));
        if (cost <= enough) return cost;
        cost = Math.Min(cost, Inside(u, now, timeCounts).Inside);
        foreach (var orphan in matcher.Orphans)
        {
            if (cost <= enough) return cost;
            cost = Math.Min(cost, ExplainCost(u, orphan, above: cost));
        }
        // Its unmatched exit is cheaper yet where nobody else could have made it.
        if (cost > enough && u.ProbableExit is { } held) cost = Math.Min(cost, HeldExitCost(u, held, timeCounts));
        return cost;
    }

    /// <summary>
    /// Cost of "the passage missing from the gap is its exit" rather than another vehicle's. The gap is
    /// there either way, so how rare late passages are does not come into it: only how many other
    /// vehicles could have left by that camera then, about its passage rate times the spread of one
    /// vehicle's exit time (at its most likely, a transit's density is 1 / (σ·√2π) per second).
    /// </summary>
    private double GapIsItsExit(Transit t, Gap gap) =>
        Math.Max(settings.LateExitCost, gap.LogRate + matcher.TimesFor(t).LogExitSpread);

    /// <summary>
    /// "It left by the exit it holds", against the other story: it is still inside and that exit
    /// was someone else's. When nobody else could have made the exit (a vehicle left; its plate fits
    /// no other transit), the other story needs a phantom, and an awkward fit (a colour misread on
    /// top of a misread character) is still by far the better explanation. Only looked into when the
    /// fit is poor enough to matter, since it asks every open transit.
    /// </summary>
    private double HeldExitCost(Transit t, OrphanExit orphan, bool timeCounts)
    {
        var cost = ExplainCost(t, orphan, timeMatters: timeCounts);
        if (cost < settings.InferredExitMaxCost - 1) return cost;
        return cost - OthersDiscount(orphan, except: t);
    }

    /// <summary>
    /// How much cheaper "it was this vehicle's" becomes because the exit's other stories are poor:
    /// the best of the vehicles <paramref name="eligible"/> has it, or a phantom, against an
    /// ordinary unmatched exit.
    /// </summary>
    public double OthersDiscount(OrphanExit orphan, Func<Transit, bool> eligible) => OthersDiscount(orphan, null, eligible);

    /// <summary><see cref="OthersDiscount(OrphanExit, Func{Transit, bool})"/> of every vehicle but <paramref name="except"/>: no delegate to make on the weighing path.</summary>
    public double OthersDiscount(OrphanExit orphan, Transit except) => OthersDiscount(orphan, except, null);

    private double OthersDiscount(OrphanExit orphan, Transit? except, Func<Transit, bool>? eligible)
    {
        var other = settings.PhantomExitCost;
        foreach (var u in matcher.AllOpen)
        {
            if (u.AlarmId is not null || u == except || (eligible is not null && !eligible(u))) continue;
            other = Math.Min(other, ExplainCost(u, orphan, above: other));
            if (other <= settings.UnmatchedExitCost) break; // no story of an unmatched exit is cheaper
        }
        return other - settings.UnmatchedExitCost;
    }

    /// <summary>The most <see cref="OthersDiscount"/> can take off.</summary>
    public double MaxDiscount => settings.PhantomExitCost - settings.UnmatchedExitCost;

    /// <summary>
    /// Leaving by its own lane, it got past every earlier entrant of that lane still inside. Where it
    /// would be the first to, that vehicle was in order until then: the pass is an order violation
    /// unless the vehicle ahead had just stopped, which is the rarer story still. Without this a
    /// follower queued behind a slow vehicle takes the slow vehicle's unread exit, and the slow
    /// vehicle is alarmed.
    /// </summary>
    private double FirstToPassCost(Transit t, OrphanExit orphan)
    {
        if (orphan.Lane != t.Lane) return 0;
        var lane = matcher.OpenInLane(t.Lane);
        for (var i = 0; i < lane.Length && lane[i].EnteredAt < t.EnteredAt; i++)
            if (lane[i] != _goneByGap && InOrderAt(lane[i], orphan.At) && lane[i].ProbableExit is null) return lanes.PassEvidence;
        // One ahead of it that has left by its lane since then was passed by it as surely as one still inside.
        foreach (var (ahead, leftAt) in matcher.RecentKeptLaneExits(t.Lane))
            if (ahead.EnteredAt < t.EnteredAt && leftAt > orphan.At && InOrderAt(ahead, orphan.At)) return lanes.PassEvidence;
        return 0;
    }

    /// <summary>Not alarmed, and nobody of its lane had got past it by then.</summary>
    private static bool InOrderAt(Transit ahead, DateTimeOffset at) => ahead.AlarmId is null && ahead.Passes.OwnLaneBefore(at) == 0;

    /// <summary>
    /// Cost of "this unmatched exit was this vehicle"; where it surely exceeds <paramref name="above"/>,
    /// some value that does. The searches over every vehicle inside want only the fits better than
    /// the best so far, and most vehicles are ruled out by their cheap terms before their plate is compared.
    /// </summary>
    /// <param name="timeMatters">
    /// Whether its transit time says anything; by default the bore's rule (not while it is congested). A
    /// weighing passes its own, which also knows the queue behind an alarmed stop. The hand-out of exits
    /// among vehicles keeps the bore's rule: knowing the queue there too missed a stop (docs/detection-history.md).
    /// </param>
    public double ExplainCost(Transit t, OrphanExit orphan, double above = double.PositiveInfinity, bool? timeMatters = null)
    {
        var transit = orphan.At - t.EnteredAt;
        if (transit < matcher.Shortest) return double.PositiveInfinity;
        var exit = orphan.Passage;
        // Summed term by term in one order: each partial sum is a floor of the total.
        var cost = settings.UnmatchedExitCost
            + Consistency.ClassCost(t.Class, exit.Vehicle.Class)
            + Consistency.ColourCost(t.Plate?.Color, exit.Plate?.Color)
            // In a slow bore the usual transit says nothing about which exit was whose.
            + (timeMatters ?? timeCounts(t) ? matcher.TimesFor(t).Mismatch(transit - HeldBefore(t, orphan.At)) : 0);
        if (cost > above) return cost;
        cost += PassEvidenceLeavingBy(t, orphan.Lane, orphan.At);
        if (cost > above) return cost;
        cost += FirstToPassCost(t, orphan);
        if (cost > above || t.Plate is not { } a || exit.Plate is not { } b) return cost;
        var stop = Math.Min(MaxPlateDistance, (above - cost) / 2);
        var distance = Core.Plates.PlateSimilarity.WeightedDistance(a.Text, t.PlateCertainty, b.Text, orphan.PlateCertainty, stop);
        var total = cost + Math.Min(2.0 * distance, 2 * MaxPlateDistance);
        // A distance cut short is a floor; should rounding leave the total at the bound, the full one decides.
        if (distance > stop && stop < MaxPlateDistance && total <= above)
            total = cost + Math.Min(2.0 * Core.Plates.PlateSimilarity.WeightedDistance(a.Text, t.PlateCertainty, b.Text, orphan.PlateCertainty, MaxPlateDistance), 2 * MaxPlateDistance);
        return total;
    }

    /// <summary>Plates further apart than this count no more against "same vehicle": an unread-and-misread exit is no rarer.</summary>
    private const double MaxPlateDistance = 3;
}
