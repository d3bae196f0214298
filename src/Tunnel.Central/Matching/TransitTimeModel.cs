using Tunnel.Core.Contracts;

namespace Tunnel.Central.Matching;

/// <summary>
/// What a normal transit of one bore looks like for one kind of vehicle, learnt from the recent real
/// transits (a log-normal fitted robustly: median and MAD of log durations), so a slow, congested
/// tunnel shifts the expectation instead of flooding operators. Before enough transits are seen, the
/// speed limit gives the prior.
/// </summary>
public sealed class TransitTimeModel
{
    private const int Capacity = 160;
    private const int MinSamples = 20;
    private const double MinSigma = 0.1;
    private const double DefaultSigma = 0.15;
    // A share of moving vehicles is much slower than its peers (a crawling truck, a lost driver): a
    // wide second component keeps them from looking stopped on time alone. Only 0.5 %: queues and
    // slowdowns, where most slow transits are, have rules of their own (the queue behind an alarm, the
    // congestion watch), and the clock alone is all that tells of a vehicle stopped at night with
    // nobody behind it: at 1 % it spoke 17 to 25 s later, at 2 % a short stop left the tunnel first.
    private const double WideWeight = 0.005;
    private const double WideFactor = 2.5;

    private readonly double[] _logs = new double[Capacity];
    // The same values in order, kept so as they come and go: a fit then reads its median and walks
    // out from it for the median absolute deviation, instead of selecting twice among all of them.
    private readonly double[] _sorted = new double[Capacity];
    private readonly double _priorLogMedian;
    private int _count;
    private int _next;
    private int _sinceFit;
    private double _logMedian;
    private double _sigma;
    // exp(_logMedian) as a span, kept with it: every weighing reads it, and only a fit moves it.
    private TimeSpan _median;
    // What Reaches compares with first, for the level last asked; a fit invalidates it.
    private double _shortOfLevel = double.NaN;
    private TimeSpan _shortOf;

    public TransitTimeModel(TimeSpan prior)
    {
        _priorLogMedian = Math.Log(prior.TotalSeconds);
        _logMedian = _priorLogMedian;
        _median = MedianOf(_logMedian);
        _sigma = DefaultSigma * 1.5;
        _logExitSpread = LogExitSpreadOf(_logMedian, _sigma);
    }

    public int Samples => _count;
    public TimeSpan Median => _median;

    private static TimeSpan MedianOf(double logMedian) => TimeSpan.FromSeconds(Math.Exp(logMedian));
    public double Sigma => _sigma;

    /// <summary>
    /// ln of the seconds over which one vehicle's exit time spreads: at the most likely transit the density
    /// is 1 / (median · σ · √2π) per second (σ of the log). Kept with the fit: weighings read it for every
    /// sequence gap.
    /// </summary>
    public double LogExitSpread => _logExitSpread;
    private double _logExitSpread;

    private static double LogExitSpreadOf(double logMedian, double sigma) => logMedian + Math.Log(sigma) + 0.5 * Math.Log(2 * Math.PI);

    /// <summary>Learns one transit; true when that moved the fit.</summary>
    public bool Add(TimeSpan transit)
    {
        if (transit <= TimeSpan.Zero) return false;
        var value = Math.Log(transit.TotalSeconds);
        if (_count == Capacity) RemoveSorted(_logs[_next]);
        InsertSorted(value);
        _logs[_next] = value;
        _next = (_next + 1) % Capacity;
        if (++_sinceFit < 8 && _count >= MinSamples) return false;
        Fit();
        return true;
    }

    private void Fit()
    {
        _sinceFit = 0;
        if (_count < MinSamples)
        {
            // Too few to trust: lean on the prior, widen.
            return;
        }
        var middle = _count / 2;
        var median = _sorted[middle];
        var mad = KthDistanceFrom(middle);
        _logMedian = median;
        _median = MedianOf(median);
        _sigma = Math.Max(MinSigma, 1.4826 * mad);
        _logExitSpread = LogExitSpreadOf(median, _sigma);
        _shortOfLevel = double.NaN;
    }

    private void InsertSorted(double value)
    {
        var at = Array.BinarySearch(_sorted, 0, _count, value);
        if (at < 0) at = ~at;
        Array.Copy(_sorted, at, _sorted, at + 1, _count - at);
        _sorted[at] = value;
        _count++;
    }

    private void RemoveSorted(double value)
    {
        var at = Array.BinarySearch(_sorted, 0, _count, value);
        Array.Copy(_sorted, at + 1, _sorted, at, _count - at - 1);
        _count--;
    }

    /// <summary>
    /// The median absolute deviation: the <c>middle</c>-th smallest distance from the median, found by
    /// walking outwards from it in the sorted values, the nearer side first.
    /// </summary>
    private double KthDistanceFrom(int middle)
    {
        var median = _sorted[middle];
        int above = middle, below = middle - 1;
        var distance = 0.0;
        for (var taken = 0; taken <= middle; taken++)
        {
            var up = above < _count ? _sorted[above] - median : double.PositiveInfinity;
            var down = below >= 0 ? median - _sorted[below] : double.PositiveInfinity;
            if (up <= down) { distance = up; above++; }
            else { distance = down; below--; }
        }
        return distance;
    }

    /// <summary>−ln P(a moving vehicle of this kind is still inside after <paramref name="elapsed"/>).</summary>
    public double Surprise(TimeSpan elapsed)
    {
        if (elapsed <= TimeSpan.Zero) return 0;
        var z = (Math.Log(elapsed.TotalSeconds) - _logMedian) / _sigma;
        if (z <= 0) return 0;
        var survival = (1 - WideWeight) * NormalTail(z) + WideWeight * NormalTail(z / WideFactor);
        return -Math.Log(Math.Max(survival, 1e-300));
    }

    /// <summary>
    /// P(a moving vehicle of this kind is still inside after <paramref name="elapsed"/>): e^−<see cref="Surprise"/>,
    /// from a table of it by z, linear between its steps. For weighing many stories of one vehicle against each
    /// other, where a logarithm and two tails each would cost more than the rest of the weighing.
    /// </summary>
    public double Survival(TimeSpan elapsed)
    {
        if (elapsed <= TimeSpan.Zero) return 1;
        var z = (Math.Log(elapsed.TotalSeconds) - _logMedian) / _sigma;
        if (z <= 0) return 1;
        var at = z / TableStep;
        var i = (int)at;
        if (i >= SurvivalByZ.Length - 1) return SurvivalByZ[^1];
        return SurvivalByZ[i] + (at - i) * (SurvivalByZ[i + 1] - SurvivalByZ[i]);
    }

    private static readonly double[] SurvivalByZ = Enumerable.Range(0, 4001).Select(i => Math.Exp(-SurpriseAtZ(i * TableStep))).ToArray();

    /// <summary>
    /// How atypical a complete transit of this length is (<see cref="Mismatch"/>), except that one shorter
    /// than the learnt median is judged by free flow too: after a slow spell (a blockage, a queue) the learnt
    /// times run long, yet a vehicle that entered once the lane cleared drives at free-flow speed.
    /// </summary>
    public double MismatchOrFreeFlow(TimeSpan transit)
    {
        var learnt = Mismatch(transit);
        if (transit <= TimeSpan.Zero || transit >= _median) return learnt;
        var z = Math.Min((Math.Log(transit.TotalSeconds) - _priorLogMedian) / DefaultSigma, 0);
        return Math.Min(learnt, MismatchAtZ(z));
    }

    /// <summary>
    /// How atypical a complete transit of this length is, too short or too long: −ln of its density
    /// relative to the most typical one, under the same two-component model as <see cref="Surprise"/>
    /// (so a slow but moving driver is unusual, not impossible). For choosing which vehicle an exit belongs to.
    /// </summary>
    public double Mismatch(TimeSpan transit)
    {
        if (transit <= TimeSpan.Zero) return 8;
        return MismatchAtZ((Math.Log(transit.TotalSeconds) - _logMedian) / _sigma);
    }

    private static double MismatchAtZ(double z)
    {
        const double wide = 0.05;
        var density = (1 - wide) * Math.Exp(-0.5 * z * z) + wide / WideFactor * Math.Exp(-0.5 * z * z / (WideFactor * WideFactor));
        return Math.Min(-Math.Log(density / (1 - wide + wide / WideFactor)), 8);
    }

    /// <summary>
    /// Whether <see cref="Surprise"/> of <paramref name="elapsed"/> reaches <paramref name="level"/>: the
    /// congestion watch asks this of every vehicle inside at every tick, and most are well short of
    /// it, which a comparison with a time they cannot reach it before tells without a logarithm.
    /// </summary>
    public bool Reaches(TimeSpan elapsed, double level) => elapsed >= ShortOf(level) && Surprise(elapsed) >= level;

    /// <summary>An elapsed time below which <see cref="Surprise"/> is surely short of <paramref name="level"/>.</summary>
    public TimeSpan ShortOf(double level)
    {
        if (level != _shortOfLevel)
        {
            // The last step of the table still short of the level, less a margin for rounding.
            var i = Find(SurpriseByZ, level);
            i = (i >= 0 ? i : ~i) - 1;
            _shortOf = i < 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Exp(_logMedian + i * TableStep * _sigma) * (1 - 1e-9));
            _shortOfLevel = level;
        }
        return _shortOf;
    }

    /// <summary>Elapsed time at which <see cref="Surprise"/> reaches <paramref name="level"/>.</summary>
    public TimeSpan ElapsedForSurprise(double level)
    {
        if (level <= 0) return TimeSpan.Zero;
        return TimeSpan.FromSeconds(Math.Exp(_logMedian + ZForSurprise(level) * _sigma));
    }

    // Surprise depends on z alone and rises monotonically: one table, shared, replaces a bisection per call.
    private const double TableStep = 0.01;
    private static readonly double[] SurpriseByZ = Enumerable.Range(0, 4001).Select(i => SurpriseAtZ(i * TableStep)).ToArray();

    private static double ZForSurprise(double level)
    {
        var i = Find(SurpriseByZ, level);
        if (i >= 0) return i * TableStep;
        i = ~i;
        if (i >= SurpriseByZ.Length) return (SurpriseByZ.Length - 1) * TableStep;
        // Linear between the neighbours, then rounded up: the surprise is convex in z, so the chord
        // reaches the level a hair before the curve does, and a look due then would find it short.
        var (a, b) = (SurpriseByZ[i - 1], SurpriseByZ[i]);
        return (i - 1 + (level - a) / (b - a) + 0.01) * TableStep;
    }

    /// <summary>
    /// <see cref="Array.BinarySearch(Array, object)"/>'s answer for a table without NaNs, step for step the
    /// same search, with plain comparisons: every scheduled look asks it, and the generic comparer cost more
    /// than the search.
    /// </summary>
    internal static int Find(double[] table, double value)
    {
        int lo = 0, hi = table.Length - 1;
        while (lo <= hi)
        {
            var i = lo + ((hi - lo) >> 1);
            var at = table[i];
            if (at == value) return i;
            if (at < value) lo = i + 1; else hi = i - 1;
        }
        return ~lo;
    }

    private static double SurpriseAtZ(double z) =>
        z <= 0 ? 0 : -Math.Log(Math.Max((1 - WideWeight) * NormalTail(z) + WideWeight * NormalTail(z / WideFactor), 1e-300));


    // Upper tail of the standard normal (Abramowitz-Stegun 7.1.26 via erfc), accurate enough for evidence.
    private static double NormalTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        // Numerical Recipes erfc with fractional error below 1.2e-7 everywhere, including the far tail we need.
        var t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        var y = t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : 2 - y;
    }

    /// <summary>Vehicle kinds that share a speed profile in a tunnel.</summary>
    public static int GroupOf(VehicleClass c, bool hazmat) => hazmat ? 2 : c switch
    {
        VehicleClass.Truck or VehicleClass.Bus => 1,
        _ => 0,
    };

    public const int Groups = 3;
}
