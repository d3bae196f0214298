namespace Tunnel.Simulation;

/// <summary>
/// Chooses the vehicles that will stop inside a bore. The day is cut into equal slots, one stop per slot at a
/// uniform time inside it, so stops are spread over the whole day, night included, without clumping.
/// </summary>
internal static class StopPlanner
{
    public static void Plan(IReadOnlyList<SimVehicle> vehiclesByEntry, SimulationOptions options, double lengthMeters, Rng rng)
    {
        var count = (int)Math.Round(options.StopsPerBorePerDay * options.Duration.TotalHours / 24.0);
        if (count == 0 || vehiclesByEntry.Count == 0) return;
        var slot = options.Duration.TotalSeconds / count;
        var chosen = new HashSet<int>();
        for (var k = 0; k < count; k++)
        {
            var at = (k + rng.U()) * slot;
            var index = FirstAtOrAfter(vehiclesByEntry, at);
            while (index < vehiclesByEntry.Count && chosen.Contains(index)) index++;
            if (index >= vehiclesByEntry.Count) break;
            chosen.Add(index);
            var v = vehiclesByEntry[index];
            v.LaneChangeAtMeters = null;
            v.StopAtMeters = rng.U(options.StopPortalMarginMeters, lengthMeters - options.StopPortalMarginMeters);
            // Log-uniform: many short stops (a flat tyre, a driver unwell) and a long tail (a breakdown awaiting a tow).
            v.StopSeconds = rng.LogUniform(options.MinStop.TotalSeconds, options.MaxStop.TotalSeconds);
        }
    }

    private static int FirstAtOrAfter(IReadOnlyList<SimVehicle> vehicles, double at)
    {
        int lo = 0, hi = vehicles.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (vehicles[mid].ScheduledEntry < at) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
