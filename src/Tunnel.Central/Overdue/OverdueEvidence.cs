using Tunnel.Central.Matching;

namespace Tunnel.Central.Overdue;

/// <summary>
/// Weighs one open transit: how unlikely it is that the vehicle is still driving ("inside" cost:
/// elapsed time against the bore's recent transits, plus later entrants of its lane that already
/// left), against the cheapest story in which it already left unseen (an unmatched exit that may be
/// this vehicle misread, or an exit passage still on its way). The evidence for "stopped" is the
/// smaller of the two, in nats.
/// </summary>
public sealed class OverdueEvidence(DetectorSettings settings, BoreMatcher matcher, OvertakeRate overtakes)
{
    public readonly record struct Weighing(double Evidence, double Inside, double TimePart, double OvertakePart, double LeftUnseen);

    public Weighing Weigh(Transit t, DateTimeOffset now, bool timeCounts)
    {
        var timePart = timeCounts ? matcher.TimesFor(t).Surprise(now - t.EnteredAt) : 0;
        var overtakePart = OvertakeEvidence(t, DateTimeOffset.MaxValue);
        var inside = timePart + overtakePart;
        var unseen = LeftUnseen(t);
        return new Weighing(Math.Min(inside, unseen), inside, timePart, overtakePart, unseen);
    }

    public double OvertakeEvidence(Transit t, DateTimeOffset before)
    {
        var sum = 0.0;
        foreach (var o in t.Overtakes)
            if (o.ExitedAt < before) sum += o.SameLane ? overtakes.Evidence : settings.CrossLaneOvertakeEvidence;
        return sum;
    }

    /// <summary>Cost of the best story in which the vehicle has left without its exit being matched.</summary>
    public double LeftUnseen(Transit t)
    {
        var best = double.PositiveInfinity;
        if (t.ProbableExit is { } orphan) best = ExplainCost(t, orphan);
        var shortest = matcher.TimesFor(t).Shortest;
        foreach (var gap in matcher.ExitGaps.Open)
        {
            if (gap.Until < t.EnteredAt + shortest) continue;
            var cost = settings.LateExitCost + (gap.Lane == t.Lane ? 0 : settings.LaneChangeCost)
                + OvertakeEvidence(t, gap.From);
            best = Math.Min(best, cost);
        }
        return best;
    }

    /// <summary>Cost of "this unmatched exit was this vehicle".</summary>
    public double ExplainCost(Transit t, OrphanExit orphan)
    {
        var times = matcher.TimesFor(t);
        var transit = orphan.At - t.EnteredAt;
        if (transit < times.Shortest) return double.PositiveInfinity;
        var exit = orphan.Passage;
        var cost = settings.UnmatchedExitCost
            + (orphan.Lane == t.Lane ? 0 : settings.LaneChangeCost)
            + Consistency.ClassCost(t.Class, exit.Vehicle.Class)
            + Consistency.ColourCost(t.Plate?.Color, exit.Plate?.Color)
            + times.Surprise(transit)
            + OvertakeEvidence(t, orphan.At);
        if (t.Plate is { } a && exit.Plate is { } b)
            cost += Math.Min(2.0 * Core.Plates.PlateSimilarity.Distance(a, b), 6);
        return cost;
    }
}
