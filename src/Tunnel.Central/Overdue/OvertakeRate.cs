namespace Tunnel.Central.Overdue;

/// <summary>
/// How often a later entrant of the same lane leaves before a vehicle that was not stopped, learnt
/// from transits that ended normally. Lanes inside are first-in first-out, so this is small, and one
/// such overtake is strong evidence; the bore's own traffic decides how strong.
/// </summary>
public sealed class OvertakeRate(double prior, double priorWeight)
{
    private double _passes = prior * priorWeight;
    private double _pairs = priorWeight;

    public double Rate => Math.Clamp(_passes / _pairs, 0.001, 0.2);

    /// <summary>Evidence (nats) one same-lane overtake gives for "stopped".</summary>
    public double Evidence => -Math.Log(Rate);

    public void Learn(int followers, int passedIt)
    {
        if (followers <= 0) return;
        // Decay, so the rate follows the bore's traffic and one odd hour fades.
        const double keep = 0.9995;
        _passes = _passes * Math.Pow(keep, followers) + passedIt;
        _pairs = _pairs * Math.Pow(keep, followers) + followers;
    }
}
