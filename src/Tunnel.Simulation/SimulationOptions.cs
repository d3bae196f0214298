using Tunnel.Core.Contracts;

namespace Tunnel.Simulation;

/// <summary>
/// Everything a simulated day depends on. Defaults are the target scenario (猫狸岭, G15):
/// two 3.6 km bores at 80 km/h, 1,500 vehicles/h/bore at peak, 35 % trucks, 4 % hazmat.
/// Lanes are numbered from the left as on Chinese roads (第一车道 is next to the median):
/// lane 1 is the fast lane, the highest lane number is the slow lane where heavy vehicles keep.
/// </summary>
public sealed record SimulationOptions
{
    public int Seed { get; init; } = 1;
    /// <summary>First possible entry. A Monday at local midnight, so the day has its night, both peaks and its evening.</summary>
    public DateTimeOffset Start { get; init; } = new(2025, 6, 2, 0, 0, 0, TimeSpan.FromHours(8));
    /// <summary>Vehicles enter during this window; the run continues until the last one has left.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(24);
    /// <summary>Offset of the local clock the diurnal profile is written in (China Standard Time).</summary>
    public TimeSpan LocalUtcOffset { get; init; } = TimeSpan.FromHours(8);

    public string Site { get; init; } = "maoliling";
    public IReadOnlyList<BoreConfig> Bores { get; init; } = SitesFile.Maoliling.Sites[0].Bores;

    // Demand
    public double PeakVehiclesPerHour { get; init; } = 1500;
    /// <summary>Fraction of <see cref="PeakVehiclesPerHour"/> for each local hour 0..23 (interpolated between hour centres).</summary>
    public IReadOnlyList<double> HourlyProfile { get; init; } = DefaultHourlyProfile;
    /// <summary>No two vehicles of one lane cross the entry line closer than this.</summary>
    public double MinEntryHeadwaySeconds { get; init; } = 1.5;

    // Fleet: shares of all vehicles. Hazmat vehicles are counted inside the truck and van shares.
    public double TruckShare { get; init; } = 0.35;
    public double HazmatShare { get; init; } = 0.04;
    /// <summary>Share of hazmat vehicles that are tankers/trucks; the rest are small hazmat vans.</summary>
    public double HazmatTruckFraction { get; init; } = 0.9;
    public double BusShare { get; init; } = 0.05;
    public double VanShare { get; init; } = 0.10;
    public double MotorcycleShare { get; init; } = 0.003;
    public double NewEnergyCarShare { get; init; } = 0.15;
    public double TrailerShareOfTrucks { get; init; } = 0.15;

    // Motion
    /// <summary>How illegal lane changers choose where to cross the solid line; see <see cref="Simulation.LaneChangeModel"/>.</summary>
    public LaneChangeModel LaneChangeModel { get; init; } = LaneChangeModel.Uniform;
    /// <summary>Under <see cref="LaneChangeModel.Uniform"/>: the share of drivers who change lanes once, all of them.</summary>
    public double IllegalLaneChangeRate { get; init; } = 0.03;
    /// <summary>
    /// Under <see cref="LaneChangeModel.Motivated"/>: the share of drivers willing to cross the solid line once if a
    /// motive comes. Only some of them meet one before the exit, so it is larger than <see cref="IllegalLaneChangeRate"/>:
    /// calibrated on seeds 1 to 4 so that about as many vehicles change lanes per bore-day as under the uniform model
    /// (5,574 against 5,512 over the eight bore-days; at 0.03 only about 60 % as many).
    /// </summary>
    public double MotivatedLaneChangeRate { get; init; } = 0.05;
    public int StopsPerBorePerDay { get; init; } = 15;
    public TimeSpan MinStop { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan MaxStop { get; init; } = TimeSpan.FromMinutes(60);
    /// <summary>Stops happen at least this far from either portal (they would be in view of the cameras otherwise).</summary>
    public double StopPortalMarginMeters { get; init; } = 200;
    public IReadOnlyList<SlowdownOptions> Slowdowns { get; init; } =
        [new SlowdownOptions { Bore = "north", StartsAfter = TimeSpan.FromHours(15.5), Duration = TimeSpan.FromMinutes(30), SpeedKmh = 20 }];

    // Recognition noise, independent at each portal
    public double UnreadRate { get; init; } = 0.03;
    public double CharConfusionRate { get; init; } = 0.01;
    public double ClassMisreadRate { get; init; } = 0.02;
    public double ColorMisreadRate { get; init; } = 0.01;

    // Delivery
    public double LateRate { get; init; } = 0.02;
    public TimeSpan MinLate { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxLate { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>
    /// How often each agent says how far it has counted (its status with <c>lastSeq</c>), as the edge agent's
    /// <c>StatusEverySeconds</c> does; zero for none. Sent after the agent's passages before it on the same
    /// connection, so a status overtakes only the late ones.
    /// </summary>
    public TimeSpan StatusEvery { get; init; } = TimeSpan.FromSeconds(10);

    public static IReadOnlyList<double> DefaultHourlyProfile { get; } =
    [
        0.14, 0.10, 0.09, 0.08, 0.10, 0.18,   // night: 8-14 % of peak, trucks keep running
        0.45, 0.80, 1.00, 0.97, 0.93, 0.92,   // morning peak at 8:00
        0.90, 0.92, 0.94, 0.96, 0.98, 1.00,   // afternoon build-up to the evening peak at 17:00
        0.95, 0.85, 0.70, 0.55, 0.40, 0.25,   // evening decay
    ];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (StatusEvery < TimeSpan.Zero) errors.Add("the status period must not be negative");
        if (!Identifiers.IsValid(Site)) errors.Add($"site '{Site}' is not a valid id");
        if (Bores.Count == 0) errors.Add("no bores");
        foreach (var bore in Bores)
        {
            if (!Identifiers.IsValid(bore.Id)) errors.Add($"bore '{bore.Id}' is not a valid id");
            if (bore.LengthMeters < 2 * StopPortalMarginMeters + 100) errors.Add($"bore '{bore.Id}' is too short to simulate");
            if (bore.Lanes < 1) errors.Add($"bore '{bore.Id}' has no lanes");
        }
        if (Duration <= TimeSpan.Zero) errors.Add("duration must be positive");
        if (HourlyProfile.Count != 24 || HourlyProfile.Any(f => f is < 0 or > 1)) errors.Add("hourlyProfile needs 24 fractions in [0, 1]");
        if (PeakVehiclesPerHour <= 0) errors.Add("peakVehiclesPerHour must be positive");
        if (TruckShare + BusShare + VanShare + MotorcycleShare > 1) errors.Add("class shares exceed 1");
        if (HazmatShare * HazmatTruckFraction > TruckShare || HazmatShare * (1 - HazmatTruckFraction) > VanShare)
            errors.Add("hazmat share does not fit in the truck and van shares");
        if (MinStop <= TimeSpan.Zero || MaxStop < MinStop) errors.Add("stop durations must satisfy 0 < minStop <= maxStop");
        if (MaxLate < MinLate) errors.Add("maxLate must be at least minLate");
        foreach (var rate in new[] { UnreadRate, CharConfusionRate, ClassMisreadRate, ColorMisreadRate, LateRate, IllegalLaneChangeRate, MotivatedLaneChangeRate })
            if (rate is < 0 or > 1) errors.Add($"rate {rate} is not in [0, 1]");
        foreach (var s in Slowdowns)
        {
            if (Bores.All(b => b.Id != s.Bore)) errors.Add($"slowdown on unknown bore '{s.Bore}'");
            if (s.Duration <= TimeSpan.Zero || s.SpeedKmh <= 0) errors.Add($"slowdown on '{s.Bore}' needs a positive duration and speed");
        }
        return errors;
    }
}

/// <summary>Where illegal lane changers (a few percent of drivers, across the tunnel's solid line) change lanes.</summary>
public enum LaneChangeModel
{
    /// <summary>
    /// At a point planned uniformly along the bore (300 m from either portal), whatever the traffic: a fast car may dive
    /// into the slow lane right behind a truck. The setting every measured figure until the twenty-sixth session used.
    /// </summary>
    Uniform,
    /// <summary>
    /// Only with a motive, at or after the planned point: held up by a slower leader with room and faster traffic in the
    /// other lane, or keeping right once the slow lane ahead is clear. A driver whose motive never comes keeps its lane.
    /// </summary>
    Motivated,
}

/// <summary>A whole bore slowed to a crawl (a stalled lane ahead, works, a queue from the exit), relative to the run's start.</summary>
public sealed record SlowdownOptions
{
    public required string Bore { get; init; }
    public required TimeSpan StartsAfter { get; init; }
    public required TimeSpan Duration { get; init; }
    public double SpeedKmh { get; init; } = 20;
}
