using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Simulation;

/// <summary>
/// Simulates a tunnel's traffic and what its portal cameras report, with the ground truth to judge a detector by.
/// Deterministic for <see cref="SimulationOptions.Seed"/>.
/// </summary>
public static class TrafficSimulator
{
    public static SimulationResult Run(SimulationOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid simulation options: " + string.Join("; ", errors), nameof(options));
        // A short run (a demo, `--hours 2`) keeps the default options: a slowdown after its end simply does not happen,
        // and must not appear in the truth as one the detector was expected to see.
        options = options with { Slowdowns = options.Slowdowns.Where(s => s.StartsAfter < options.Duration).ToList() };

        var plates = new PlateFactory(options, new Rng(options.Seed, "plates"));
        var nextId = 1;
        var simulated = new List<(BoreConfig Bore, List<SimVehicle> Vehicles, List<SpeedCap> Caps)>();
        foreach (var bore in options.Bores)
        {
            var fleet = new Fleet(options, new Rng(options.Seed, $"fleet/{bore.Id}"));
            var arrivals = new Demand(options, new Rng(options.Seed, $"demand/{bore.Id}")).Arrivals(fleet, bore.Lanes);
            var driverRng = new Rng(options.Seed, $"drivers/{bore.Id}");
            var vehicles = arrivals.Select(a => new SimVehicle
            {
                Id = nextId++,
                Kind = a.Kind,
                Plate = plates.Next(a.Kind),
                ScheduledEntry = a.At,
                EntryLane = a.Lane,
                SlowdownFactor = driverRng.U(0.85, 1.15),
            }).ToList();
            var motivated = options.LaneChangeModel == LaneChangeModel.Motivated;
            var changeRate = motivated ? options.MotivatedLaneChangeRate : options.IllegalLaneChangeRate;
            // The same draws under both models: a motivated changer's planned point is where it starts to be willing.
            if (bore.Lanes > 1)
                foreach (var v in vehicles)
                    if (driverRng.Chance(changeRate))
                        v.LaneChangeAtMeters = driverRng.U(300, bore.LengthMeters - 300);
            StopPlanner.Plan(vehicles, options, bore.LengthMeters, new Rng(options.Seed, $"stops/{bore.Id}"));

            var caps = options.Slowdowns.Where(s => s.Bore == bore.Id)
                .Select(s => new SpeedCap(s.StartsAfter.TotalSeconds, (s.StartsAfter + s.Duration).TotalSeconds, s.SpeedKmh / 3.6))
                .ToList();
            new Motion(bore.LengthMeters, bore.Lanes, options.MinEntryHeadwaySeconds, caps, new Rng(options.Seed, $"motion/{bore.Id}"), motivated).Run(vehicles);
            simulated.Add((bore, vehicles, caps));
        }
        return new Assembly(options).Build(simulated);
    }

    /// <summary>
    /// The passages in delivery order, for a live demo: set <see cref="SimulationOptions.Start"/> to now and
    /// publish each passage at its <see cref="DeliveredPassage.DeliverAt"/> (compressed as wished).
    /// </summary>
    public static IEnumerable<DeliveredPassage> Stream(SimulationOptions options) => Run(options).Passages;

    /// <summary>Turns simulated motion into camera passages, their delivery and the truth.</summary>
    private sealed class Assembly(SimulationOptions options)
    {
        private readonly DateTimeOffset _start = options.Start.ToUniversalTime();
        private readonly RecognitionNoise _noise = new(options, new Rng(options.Seed, "noise"));
        private readonly Delivery _delivery = new(options, new Rng(options.Seed, "delivery"));
        private readonly Rng _ids = new(options.Seed, "event-ids");

        private sealed class Capture(SimVehicle vehicle, BoreConfig bore, Portal portal, int lane, DateTimeOffset at)
        {
            public SimVehicle Vehicle { get; } = vehicle;
            public BoreConfig Bore { get; } = bore;
            public Portal Portal { get; } = portal;
            public int Lane { get; } = lane;
            public DateTimeOffset At { get; } = at;
            public Guid EventId { get; init; }
            public PlateRead? Plate { get; init; }
            public required VehicleRead Read { get; init; }
            public DateTimeOffset DeliverAt { get; init; }
            public bool Late { get; init; }
            public long Seq { get; set; }
        }

        // Millisecond timestamps, as cameras stamp them; truth and passages share the rounding.
        private DateTimeOffset At(double seconds) => _start.AddMilliseconds(Math.Round(seconds * 1000));

        public SimulationResult Build(List<(BoreConfig Bore, List<SimVehicle> Vehicles, List<SpeedCap> Caps)> simulated)
        {
            var captures = new List<Capture>();
            var byVehicle = new Dictionary<int, (Capture Entry, Capture Exit)>();
            foreach (var (bore, vehicles, _) in simulated)
                foreach (var v in vehicles)
                {
                    var entry = Observe(v, bore, Portal.Entry, v.EntryLane, v.EnteredAt);
                    var exit = Observe(v, bore, Portal.Exit, v.ExitLane, v.ExitedAt);
                    captures.Add(entry);
                    captures.Add(exit);
                    byVehicle[v.Id] = (entry, exit);
                }

            var statuses = new List<DeliveredStatus>();
            var statusRng = new Rng(options.Seed, "status");
            foreach (var agent in captures.GroupBy(c => AgentId(c)))
            {
                long seq = 0;
                var ordered = agent.OrderBy(c => c.At).ThenBy(c => c.Vehicle.Id).ToList();
                foreach (var c in ordered) c.Seq = ++seq;
                if (options.StatusEvery > TimeSpan.Zero) AddStatuses(ordered, statuses, statusRng);
            }
            statuses.Sort((a, b) => a.DeliverAt.CompareTo(b.DeliverAt));

            var passages = captures
                .OrderBy(c => c.DeliverAt).ThenBy(c => c.At).ThenBy(c => c.Vehicle.Id)
                .Select(c => new DeliveredPassage(c.DeliverAt, ToPassage(c), c.Late))
                .ToList();

            var vehicleTruths = new List<VehicleTruth>();
            var boreTruths = new List<BoreTruth>();
            foreach (var (bore, vehicles, caps) in simulated)
            {
                var slowdowns = caps.Select(c => Slowdown(bore, c, vehicles)).ToList();
                var stops = vehicles.Where(v => !double.IsNaN(v.StoppedAt))
                    .Select(v => Stop(bore, v, byVehicle[v.Id].Entry, slowdowns)).ToList();
                var truths = vehicles.Select(v => Vehicle(bore, v, byVehicle[v.Id])).ToList();
                vehicleTruths.AddRange(truths);
                boreTruths.Add(new BoreTruth
                {
                    Site = options.Site,
                    Bore = bore.Id,
                    LengthMeters = bore.LengthMeters,
                    Lanes = bore.Lanes,
                    Vehicles = vehicles.Count,
                    LaneChanges = vehicles.Count(v => v.LaneChanged),
                    EntryUnread = truths.Count(t => t.EntryRead is null),
                    ExitUnread = truths.Count(t => t.ExitRead is null),
                    EntryMisread = truths.Count(t => t.EntryRead is { } r && r != t.Plate),
                    ExitMisread = truths.Count(t => t.ExitRead is { } r && r != t.Plate),
                    LatePassages = truths.Count(t => t.EntryLate) + truths.Count(t => t.ExitLate),
                    Stops = stops,
                    Slowdowns = slowdowns,
                });
            }

            var lastExit = simulated.SelectMany(s => s.Vehicles).Select(v => v.ExitedAt).DefaultIfEmpty(0).Max();
            var truth = new SimulationTruth
            {
                Options = options,
                Start = _start,
                End = _start + options.Duration,
                LastExitAt = At(lastExit),
                Bores = boreTruths,
                Vehicles = vehicleTruths,
            };
            return new SimulationResult(options, truth, passages, statuses);
        }

        /// <summary>
        /// One agent's statuses, every <see cref="SimulationOptions.StatusEvery"/> from a random phase until its
        /// last passage is delivered, each with the last number it gave by then. Sent on the connection its
        /// passages take, a status arrives after those sent before it; only a late one (held in the outbox)
        /// comes after the status that counts it.
        /// </summary>
        private void AddStatuses(List<Capture> ordered, List<DeliveredStatus> statuses, Rng rng)
        {
            var first = ordered[0];
            var until = ordered.Max(c => c.DeliverAt);
            var every = options.StatusEvery;
            var at = first.At + every * rng.U();
            var (next, sentBy) = (0, DateTimeOffset.MinValue);
            for (; at <= until; at += every)
            {
                var stamp = At((at - _start).TotalSeconds);
                for (; next < ordered.Count && ordered[next].At <= stamp; next++)
                    if (!ordered[next].Late && ordered[next].DeliverAt > sentBy) sentBy = ordered[next].DeliverAt;
                var deliverAt = stamp.AddMilliseconds(Math.Round(Delivery.OnTime(rng) * 1000));
                statuses.Add(new DeliveredStatus(deliverAt > sentBy ? deliverAt : sentBy, new AgentStatus
                {
                    AgentId = AgentId(first), Online = true, Site = options.Site, Bore = first.Bore.Id, Portal = first.Portal,
                    Lane = first.Lane, LastSeq = ordered[next - 1].Seq, At = stamp,
                }));
            }
        }

        private string AgentId(Capture c) => $"{options.Site}-{c.Bore.Id}-{TunnelJson.Name(c.Portal)}-{c.Lane}";

        private Capture Observe(SimVehicle v, BoreConfig bore, Portal portal, int lane, double at)
        {
            var capturedAt = At(at);
            var (delay, late) = _delivery.Next();
            return new Capture(v, bore, portal, lane, capturedAt)
            {
                EventId = _ids.Guid(),
                Plate = _noise.ReadPlate(v.Plate),
                Read = _noise.ReadVehicle(v.Kind),
                DeliverAt = capturedAt.AddMilliseconds(Math.Round(delay * 1000)),
                Late = late,
            };
        }

        private Passage ToPassage(Capture c) => new()
        {
            EventId = c.EventId,
            AgentId = AgentId(c),
            Seq = c.Seq,
            Site = options.Site,
            Bore = c.Bore.Id,
            Portal = c.Portal,
            Lane = c.Lane,
            CameraId = $"cam-{c.Bore.Id}-{TunnelJson.Name(c.Portal)}-{c.Lane}",
            CapturedAt = c.At,
            Plate = c.Plate,
            Vehicle = c.Read,
        };

        private SlowdownTruth Slowdown(BoreConfig bore, SpeedCap cap, List<SimVehicle> vehicles)
        {
            var aftermath = vehicles
                .Where(v => v.EnteredAt >= cap.From && v.EnteredAt < cap.To && double.IsNaN(v.StoppedAt))
                .Select(v => v.ExitedAt)
                .DefaultIfEmpty(cap.To)
                .Max();
            return new SlowdownTruth
            {
                Site = options.Site,
                Bore = bore.Id,
                From = At(cap.From),
                To = At(cap.To),
                AftermathUntil = At(Math.Max(cap.To, aftermath)),
                SpeedKmh = Math.Round(cap.SpeedMs * 3.6, 1),
            };
        }

        private StopTruth Stop(BoreConfig bore, SimVehicle v, Capture entry, List<SlowdownTruth> slowdowns)
        {
            var stoppedAt = At(v.StoppedAt);
            var judgedUntil = At(Math.Min(v.ResumedAt, v.StoppedAt + 300));
            return new StopTruth
            {
                Site = options.Site,
                Bore = bore.Id,
                VehicleId = v.Id,
                TruePlate = v.Plate.Text,
                EntryEventId = entry.EventId,
                EntryPlateRead = entry.Plate?.Text,
                Lane = v.EntryLane,
                Class = v.Kind.Class,
                Hazmat = v.Kind.Hazmat,
                EnteredAt = At(v.EnteredAt),
                StoppedAt = stoppedAt,
                ResumedAt = At(v.ResumedAt),
                ExitedAt = At(v.ExitedAt),
                PositionMeters = Math.Round(v.StopAtMeters ?? 0, 1),
                FollowersPassed = v.FollowersSqueezedPast,
                JudgedByCongestion = slowdowns.Any(s => stoppedAt <= s.AftermathUntil && judgedUntil >= s.From),
            };
        }

        private VehicleTruth Vehicle(BoreConfig bore, SimVehicle v, (Capture Entry, Capture Exit) seen) => new()
        {
            Id = v.Id,
            Site = options.Site,
            Bore = bore.Id,
            Plate = v.Plate.Text,
            PlateColor = v.Plate.Color,
            Class = v.Kind.Class,
            Hazmat = v.Kind.Hazmat,
            DesiredKmh = Math.Round(v.Kind.DesiredKmh, 1),
            EntryLane = v.EntryLane,
            ExitLane = v.ExitLane,
            EnteredAt = seen.Entry.At,
            ExitedAt = seen.Exit.At,
            EntryEventId = seen.Entry.EventId,
            ExitEventId = seen.Exit.EventId,
            EntryRead = seen.Entry.Plate?.Text,
            ExitRead = seen.Exit.Plate?.Text,
            EntryDeliveredAt = seen.Entry.DeliverAt,
            ExitDeliveredAt = seen.Exit.DeliverAt,
            EntryLate = seen.Entry.Late,
            ExitLate = seen.Exit.Late,
            LaneChange = v.LaneChanged,
            Stopped = !double.IsNaN(v.StoppedAt),
            StandstillSeconds = v.StandstillSeconds,
        };
    }
}

/// <summary>A finished run: the passages as the central service would receive them, and the truth behind them.</summary>
public sealed class SimulationResult(SimulationOptions options, SimulationTruth truth, IReadOnlyList<DeliveredPassage> passages,
    IReadOnlyList<DeliveredStatus> statuses)
{
    public const string PassagesFile = "passages.jsonl";
    public const string TruthFile = "truth.json";

    public SimulationOptions Options { get; } = options;
    public SimulationTruth Truth { get; } = truth;
    /// <summary>In delivery order.</summary>
    public IReadOnlyList<DeliveredPassage> Passages { get; } = passages;
    /// <summary>The agents' statuses, in delivery order.</summary>
    public IReadOnlyList<DeliveredStatus> Statuses { get; } = statuses;

    /// <summary>Writes <c>passages.jsonl</c>, <c>truth.json</c> and <c>vehicles.jsonl</c> into <paramref name="directory"/>.</summary>
    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        WritePassages(Path.Combine(directory, PassagesFile));
        Truth.Write(Path.Combine(directory, TruthFile));
    }

    public void WritePassages(string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        WritePassages(writer);
    }

    /// <summary>The passages and the agents' statuses, one JSON object per line, in delivery order (a passage first at a tie).</summary>
    public void WritePassages(TextWriter writer)
    {
        var s = 0;
        foreach (var p in Passages)
        {
            for (; s < Statuses.Count && Statuses[s].DeliverAt < p.DeliverAt; s++) writer.WriteLine(TunnelJson.Serialize(Statuses[s].Status));
            writer.WriteLine(TunnelJson.Serialize(p.Passage));
        }
        for (; s < Statuses.Count; s++) writer.WriteLine(TunnelJson.Serialize(Statuses[s].Status));
    }

    public string Summary()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"seed {Options.Seed}, {Truth.Start:u} .. {Truth.End:u} (last exit {Truth.LastExitAt:u}), {Passages.Count} passages, {Statuses.Count} agent statuses");
        foreach (var b in Truth.Bores)
            sb.AppendLine($"{b.Site}/{b.Bore}: {b.Vehicles} vehicles, {b.LaneChanges} lane changes, unread {b.EntryUnread}+{b.ExitUnread}, " +
                          $"misread {b.EntryMisread}+{b.ExitMisread}, late {b.LatePassages}, {b.Stops.Count} stops " +
                          $"({b.Stops.Count(s => s.JudgedByCongestion)} judged by congestion), {b.Slowdowns.Count} slowdowns");
        return sb.ToString();
    }
}
