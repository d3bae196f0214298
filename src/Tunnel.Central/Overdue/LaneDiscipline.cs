namespace Tunnel.Central.Overdue;

/// <summary>
/// How well the bore's lanes keep their order, learnt from transits that ended normally: how often a
/// later entrant of a lane leaves before a vehicle that kept its lane and did not stop (lanes inside
/// are first-in first-out, so this is small and one such pass is strong evidence), and how often a
/// vehicle leaves by another lane than it entered (illegal, a few %). Both decay, so they follow the
/// bore's own traffic.
/// </summary>
public sealed class LaneDiscipline(DetectorSettings settings)
{
    private const double Keep = 0.9995;
    private double _passes = settings.OrderViolationPrior * settings.PriorWeight;
    private double _pairs = settings.PriorWeight;
    private double _changes = settings.LaneChangePrior * settings.PriorWeight;
    private double _transits = settings.PriorWeight;

    public double OrderViolationRate => Math.Clamp(_passes / _pairs, 0.001, 0.2);
    public double LaneChangeRate => Math.Clamp(_changes / _transits, 0.002, 0.3);

    /// <summary>Evidence (nats) for "stopped" from one later entrant leaving first where order should have held.</summary>
    public double PassEvidence => -Math.Log(OrderViolationRate);

    /// <summary>Cost (nats) of "it changed lanes inside".</summary>
    public double LaneChangeCost => -Math.Log(LaneChangeRate);

    public void LearnOrder(int followers, int passedIt)
    {
        if (followers <= 0) return;
        var decay = Math.Pow(Keep, followers);
        _passes = _passes * decay + passedIt;
        _pairs = _pairs * decay + followers;
    }

    public void LearnLane(bool changed)
    {
        _changes = _changes * Keep + (changed ? 1 : 0);
        _transits = _transits * Keep + 1;
    }
}
