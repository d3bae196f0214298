using Tunnel.Central.Matching;

namespace Tunnel.Central.Overdue;

/// <summary>
/// Weighs one open transit, in nats, "stopped" against the cheapest story in which the vehicle is
/// fine: (a) still driving in its lane: elapsed time against the bore's recent transits, plus later
/// entrants of its lane that left first; (b) still driving after changing lanes: the lane change,
/// elapsed time, plus entrants of other lanes that entered well after it and left first; (c) already
/// gone unseen: an unmatched exit that may be it misread, or an exit passage still on its way.
/// </summary>
public sealed class OverdueEvidence(DetectorSettings settings, BoreMatcher matcher, LaneDiscipline lanes, Func<Transit, bool> timeCounts)
{
    /// <param name="LateExit">Cost of "it left by an exit passage not delivered yet".</param>
    public readonly record struct Weighing(double Evidence, double Inside, double TimePart, double PassPart, double LeftUnseen, double LateExit)
    {
        /// <summary>The evidence were it to hold no unmatched exit: what it loses if its exit goes to another vehicle.</summary>
        public double WithoutOrphan => Math.Min(Inside, LateExit);
    }

    public Weighing Weigh(Transit t, DateTimeOffset now, bool timeCounts)
    {
        var timePart = timeCounts ? matcher.TimesFor(t).Surprise(now - t.EnteredAt) : 0;
        var passPart = PassEvidence(t, DateTimeOffset.MaxValue);
        var inside = timePart + passPart;
        var late = LateExit(t);
        var unseen = t.ProbableExit is { } orphan ? Math.Min(HeldExitCost(t, orphan), late) : late;
        return new Weighing(Math.Min(inside, unseen), inside, timePart, passPart, unseen, late);
    }

    /// <summary>Lane-order evidence from vehicles that left before <paramref name="before"/>: the cheaper of "kept its lane" and "changed lanes".</summary>
    public double PassEvidence(Transit t, DateTimeOffset before)
    {
        var keptLane = t.Passes.OwnLaneBefore(before) * lanes.PassEvidence;
        var changedLane = lanes.LaneChangeCost + t.Passes.OtherLanesBefore(before) * lanes.PassEvidence;
        return Math.Min(keptLane, changedLane);
    }

    /// <summary>Lane-order evidence against "it left by <paramref name="lane"/> at <paramref name="at"/>".</summary>
    private double PassEvidenceLeavingBy(Transit t, int lane, DateTimeOffset at) =>
        lane == t.Lane
            ? t.Passes.OwnLaneBefore(at) * lanes.PassEvidence
            : lanes.LaneChangeCost + t.Passes.OtherLanesBefore(at) * lanes.PassEvidence;

    /// <summary>Cost of the best story in which the vehicle left by an exit passage the exit cameras have not delivered yet.</summary>
    public double LateExit(Transit t)
    {
        var best = double.PositiveInfinity;
        var shortest = matcher.Shortest;
        foreach (var gap in matcher.ExitGaps.Open)
        {
            if (gap.Until < t.EnteredAt + shortest) continue;
            // Left by the missing passage: then its transit ended inside the gap's time span.
            var fit = !timeCounts(t) ? 0 : Math.Min(matcher.TimesFor(t).Mismatch(gap.From - t.EnteredAt), matcher.TimesFor(t).Mismatch(gap.Until - t.EnteredAt));
            if (gap.From - t.EnteredAt < matcher.TimesFor(t).Median && gap.Until - t.EnteredAt > matcher.TimesFor(t).Median) fit = 0;
            best = Math.Min(best, settings.LateExitCost + fit + PassEvidenceLeavingBy(t, gap.Lane, gap.From));
        }
        return best;
    }

    /// <summary>
    /// "It left by the exit it holds", against the other story: it is still inside and that exit
    /// was someone else's. When nobody else could have made the exit (a vehicle left; its plate fits
    /// no other transit), the other story needs a phantom, and an awkward fit (a colour misread on
    /// top of a misread character) is still by far the better explanation. Only looked into when the
    /// fit is poor enough to matter, since it asks every open transit.
    /// </summary>
    private double HeldExitCost(Transit t, OrphanExit orphan)
    {
        var cost = ExplainCost(t, orphan);
        if (cost < settings.InferredExitMaxCost - 1) return cost;
        return cost - OthersDiscount(orphan, u => u != t);
    }

    /// <summary>
    /// How much cheaper "it was this vehicle's" becomes because the exit's other stories are poor:
    /// the best of the vehicles <paramref name="eligible"/> has it, or a phantom, against an
    /// ordinary unmatched exit.
    /// </summary>
    public double OthersDiscount(OrphanExit orphan, Func<Transit, bool> eligible)
    {
        var other = settings.PhantomExitCost;
        foreach (var u in matcher.AllOpen)
        {
            if (u.AlarmId is not null || !eligible(u)) continue;
            other = Math.Min(other, ExplainCost(u, orphan));
            if (other <= settings.UnmatchedExitCost) break; // no story of an unmatched exit is cheaper
        }
        return other - settings.UnmatchedExitCost;
    }

    /// <summary>The most <see cref="OthersDiscount"/> can take off.</summary>
    public double MaxDiscount => settings.PhantomExitCost - settings.UnmatchedExitCost;

    /// <summary>Cost of "this unmatched exit was this vehicle".</summary>
    public double ExplainCost(Transit t, OrphanExit orphan)
    {
        var times = matcher.TimesFor(t);
        var transit = orphan.At - t.EnteredAt;
        if (transit < matcher.Shortest) return double.PositiveInfinity;
        var exit = orphan.Passage;
        var cost = settings.UnmatchedExitCost
            + Consistency.ClassCost(t.Class, exit.Vehicle.Class)
            + Consistency.ColourCost(t.Plate?.Color, exit.Plate?.Color)
            // In a slow bore the usual transit says nothing about which exit was whose.
            + (timeCounts(t) ? times.Mismatch(transit) : 0)
            + PassEvidenceLeavingBy(t, orphan.Lane, orphan.At);
        if (t.Plate is { } a && exit.Plate is { } b)
            cost += Math.Min(2.0 * Core.Plates.PlateSimilarity.Distance(a, b), 6);
        return cost;
    }
}
