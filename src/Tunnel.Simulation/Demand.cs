namespace Tunnel.Simulation;

/// <summary>
/// Arrivals at one bore's entry: a non-homogeneous Poisson process following the diurnal profile (by thinning),
/// then, per lane, no vehicle closer than the minimum headway to the one before it (vehicles bunch into
/// platoons instead of overlapping).
/// </summary>
internal sealed class Demand(SimulationOptions options, Rng rng)
{
    /// <summary>Rate as a fraction of the peak at <paramref name="secondsFromStart"/>, interpolated between local hour centres.</summary>
    public double ProfileAt(double secondsFromStart)
    {
        var local = options.Start.ToOffset(options.LocalUtcOffset);
        var hour = local.TimeOfDay.TotalHours + secondsFromStart / 3600.0 - 0.5;
        hour = ((hour % 24) + 24) % 24;
        var h0 = (int)Math.Floor(hour);
        var f = hour - h0;
        var profile = options.HourlyProfile;
        return profile[h0 % 24] * (1 - f) + profile[(h0 + 1) % 24] * f;
    }

    /// <summary>Entry times (seconds from start) and lanes, sorted by time.</summary>
    public List<(double At, VehicleKind Kind, int Lane)> Arrivals(Fleet fleet, int lanes)
    {
        var peakPerSecond = options.PeakVehiclesPerHour / 3600.0;
        var end = options.Duration.TotalSeconds;
        var lastInLane = Enumerable.Repeat(double.NegativeInfinity, lanes + 1).ToArray();
        var arrivals = new List<(double, VehicleKind, int)>();
        var t = 0.0;
        while (true)
        {
            t += rng.Exponential(1 / peakPerSecond);
            if (t >= end) break;
            if (!rng.Chance(ProfileAt(t))) continue;
            var kind = fleet.Next();
            var lane = fleet.PickLane(kind, lanes);
            // A vehicle arriving too close behind another in its lane is held back: it follows at the minimum headway.
            var at = Math.Max(t, lastInLane[lane] + options.MinEntryHeadwaySeconds + rng.U(0, 0.4));
            lastInLane[lane] = at;
            arrivals.Add((at, kind, lane));
        }
        arrivals.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return arrivals;
    }
}
