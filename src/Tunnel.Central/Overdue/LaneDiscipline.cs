namespace Tunnel.Central.Overdue;

/// <summary>
/// How well the bore's lanes keep their order, learnt from transits that ended normally: how often a
/// later entrant of a lane leaves before a vehicle that kept its lane and did not stop (lanes inside
/// are first-in first-out, so this is small and one such pass is strong evidence), and how often a
/// vehicle leaves by another lane than it entered (illegal, a few %). Both decay, so they follow the
/// bore's own traffic.
/// </summary>
public sealed class LaneDiscipline
{
    private const double Keep = 0.9995;
    private double _passes;
    private double _pairs;
    private double _changes;
    private double _transits;

    // The rates and their logarithms are read at every step of every weighing and change only when a
    // transit ends normally: worked out then (by the same expressions), not at every read.
    private Derived _order;
    private Derived _lane;
    // Math.Pow(OrderViolationRate, k), asked for with the same few k over and over; NaN until asked.
    private readonly double[] _orderPowers = new double[2 * Matching.PassLog.Keep + 1];

    public LaneDiscipline(DetectorSettings settings)
    {
        _passes = settings.OrderViolationPrior * settings.PriorWeight;
        _pairs = settings.PriorWeight;
        _changes = settings.LaneChangePrior * settings.PriorWeight;
        _transits = settings.PriorWeight;
        OrderChanged();
        LaneChanged();
    }

    public double OrderViolationRate => _order.Rate;
    public double LaneChangeRate => _lane.Rate;

    /// <summary>Evidence (nats) for "stopped" from one later entrant leaving first where order should have held.</summary>
    public double PassEvidence => _order.Cost;

    /// <summary>Cost (nats) of "it changed lanes inside".</summary>
    public double LaneChangeCost => _lane.Cost;

    /// <summary><c>Math.Pow(OrderViolationRate, k)</c>, worked out once per rate for each small k.</summary>
    public double OrderViolationPower(int k)
    {
        if ((uint)k >= (uint)_orderPowers.Length) return Math.Pow(OrderViolationRate, k);
        ref var power = ref _orderPowers[k];
        if (double.IsNaN(power)) power = Math.Pow(OrderViolationRate, k);
        return power;
    }

    public void LearnOrder(int followers, int passedIt)
    {
        if (followers <= 0) return;
        var decay = Math.Pow(Keep, followers);
        _passes = _passes * decay + passedIt;
        _pairs = _pairs * decay + followers;
        OrderChanged();
    }

    public void LearnLane(bool changed)
    {
        _changes = _changes * Keep + (changed ? 1 : 0);
        _transits = _transits * Keep + 1;
        LaneChanged();
    }

    private void OrderChanged()
    {
        _order = Derived.Of(_passes / _pairs, 0.001, 0.2);
        Array.Fill(_orderPowers, double.NaN);
    }

    private void LaneChanged() => _lane = Derived.Of(_changes / _transits, 0.002, 0.3);

    /// <summary>A rate, clamped, and its cost in nats.</summary>
    private readonly record struct Derived(double Rate, double Cost)
    {
        public static Derived Of(double ratio, double min, double max)
        {
            var rate = Math.Clamp(ratio, min, max);
            return new Derived(rate, -Math.Log(rate));
        }
    }
}
