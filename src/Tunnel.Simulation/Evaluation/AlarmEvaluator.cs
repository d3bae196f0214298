using System.Globalization;
using Tunnel.Core.Contracts;

namespace Tunnel.Simulation.Evaluation;

/// <summary>
/// Scores a detector's alarm transitions against a simulation's truth. It knows nothing about any detector:
/// a stop counts as detected only by an <c>overdue</c> alarm for that very vehicle raised while it was
/// stopped or driving out (after <see cref="StopTruth.StoppedAt"/>, before <see cref="StopTruth.ExitedAt"/>),
/// or by one that names it as its second suspect when its first is no stopped vehicle.
/// </summary>
public static class AlarmEvaluator
{
    public static IReadOnlyList<AlarmTransition> ReadAlarms(string path) =>
        File.ReadLines(path)
            .Select((line, i) => (line, i))
            .Where(x => !string.IsNullOrWhiteSpace(x.line))
            .Select(x => TunnelJson.Deserialize<AlarmTransition>(x.line) ?? throw new InvalidDataException($"{path}:{x.i + 1}: empty alarm"))
            .ToList();

    public static EvaluationReport Evaluate(SimulationTruth truth, IEnumerable<AlarmTransition> transitions, EvaluationTargets? targets = null)
    {
        targets ??= new EvaluationTargets();
        var raises = Raises(transitions);
        var bores = truth.Bores.ToDictionary(b => (b.Site, b.Bore));
        var ignored = raises.Count(r => r.Kind is not (AlarmKind.Overdue or AlarmKind.Congestion) || !bores.ContainsKey((r.Site, r.Bore)));
        raises = raises.Where(r => r.Kind is AlarmKind.Overdue or AlarmKind.Congestion && bores.ContainsKey((r.Site, r.Bore))).ToList();

        var days = (truth.End - truth.Start).TotalDays;
        var identities = new Identities(truth);
        var perBore = truth.Bores
            .Select(b => EvaluateBore(b, days, identities, raises.Where(r => r.Site == b.Site && r.Bore == b.Bore).ToList()))
            .ToList();
        var overall = Combine(perBore, days * perBore.Count);
        return new EvaluationReport
        {
            Start = truth.Start,
            End = truth.End,
            Days = days,
            Bores = perBore,
            Overall = overall,
            Targets = Judge(perBore, overall, targets),
            IgnoredAlarms = ignored,
        };
    }

    /// <summary>
    /// The first transition of each alarm is its raise; the earliest wins if the file is out of order.
    /// A second suspect counts from the first transition that names it.
    /// </summary>
    private static List<AlarmRaise> Raises(IEnumerable<AlarmTransition> transitions) =>
        transitions
            .Select((t, i) => (t, i))
            .GroupBy(x => x.t.AlarmId)
            .Select(g =>
            {
                var ordered = g.OrderBy(x => x.t.At).ThenBy(x => x.i).Select(x => x.t).ToList();
                var raise = ordered[0];
                var naming = ordered.FirstOrDefault(t => t.Alternative is not null);
                return new AlarmRaise(raise.AlarmId, raise.Kind, raise.Site, raise.Bore, raise.Plate, raise.EntryEventId, raise.At,
                    naming?.Alternative?.EntryEventId, naming?.At);
            })
            .OrderBy(r => r.At)
            .ToList();

    private static BoreEvaluation EvaluateBore(BoreTruth bore, double days, Identities identities, List<AlarmRaise> raises)
    {
        var stopsByVehicle = bore.Stops.ToDictionary(s => s.VehicleId);
        var detections = new Dictionary<int, AlarmRaise>();
        var lateForStop = new Dictionary<int, AlarmRaise>();
        var earlyForStop = new Dictionary<int, AlarmRaise>();
        var falseAlarms = new List<FalseAlarm>();
        var duringSlowdowns = new List<AlarmRaise>();
        var repeats = 0;

        foreach (var alarm in raises.Where(r => r.Kind == AlarmKind.Overdue))
        {
            var vehicleId = identities.Resolve(alarm);
            var stop = vehicleId is { } id && stopsByVehicle.TryGetValue(id, out var s) ? s : null;
            // An alarm naming two vehicles (one of them left unseen, the other is inside) is about the
            // second when only the second stopped.
            var named = alarm;
            if (stop is null && alarm.SecondSuspect is { } second && identities.ByEntryEvent(second) is { } secondId
                && stopsByVehicle.TryGetValue(secondId, out var secondStop))
                (vehicleId, stop, named) = (secondId, secondStop, alarm with { At = alarm.SecondSuspectAt ?? alarm.At });
            if (stop is not null && named.At >= stop.StoppedAt && named.At < stop.ExitedAt)
            {
                if (!detections.TryAdd(stop.VehicleId, named)) repeats++;
                continue;
            }
            if (stop is not null)
            {
                if (named.At >= stop.ExitedAt) lateForStop.TryAdd(stop.VehicleId, named);
                else earlyForStop.TryAdd(stop.VehicleId, named);
            }
            if (bore.Slowdowns.Any(w => w.Covers(alarm.At)))
            {
                duringSlowdowns.Add(alarm);
                continue;
            }
            var vehicle = vehicleId is { } vid ? identities.Vehicle(vid) : null;
            falseAlarms.Add(new FalseAlarm(alarm, vehicleId, vehicle?.Plate ?? stop?.TruePlate, Causes.Explain(alarm, vehicle, stop)));
        }

        StopOutcome Outcome(StopTruth stop)
        {
            if (detections.TryGetValue(stop.VehicleId, out var hit)) return new StopOutcome(stop, hit, null);
            if (lateForStop.TryGetValue(stop.VehicleId, out var late))
                return new StopOutcome(stop, late, $"alarm only after it left (+{(late.At - stop.ExitedAt).TotalSeconds:F0} s)");
            if (earlyForStop.TryGetValue(stop.VehicleId, out var early))
                return new StopOutcome(stop, early, $"alarm only before the stop began ({(stop.StoppedAt - early.At).TotalSeconds:F0} s early)");
            return new StopOutcome(stop, null, "no overdue alarm");
        }

        var outcomes = bore.Stops.Select(Outcome).ToList();
        var congestion = raises.Where(r => r.Kind == AlarmKind.Congestion).ToList();
        return new BoreEvaluation
        {
            Name = $"{bore.Site}/{bore.Bore}",
            BoreDays = days,
            Vehicles = bore.Vehicles,
            ReadStops = new StopGroup(outcomes.Where(o => !o.Stop.JudgedByCongestion && o.Stop.EntryPlateRead is not null).ToList()),
            UnreadStops = new StopGroup(outcomes.Where(o => !o.Stop.JudgedByCongestion && o.Stop.EntryPlateRead is null).ToList()),
            CongestionStops = new StopGroup(outcomes.Where(o => o.Stop.JudgedByCongestion).ToList()),
            FalseOverdue = falseAlarms,
            RepeatOverdue = repeats,
            OverdueDuringSlowdowns = duringSlowdowns,
            Slowdowns = bore.Slowdowns
                .Select(w => new SlowdownOutcome(w, congestion.Where(c => w.Covers(c.At)).ToList(), duringSlowdowns.Where(a => w.Covers(a.At)).ToList()))
                .ToList(),
            FalseCongestion = congestion.Where(c => !bore.Slowdowns.Any(w => w.Covers(c.At))).ToList(),
        };
    }

    /// <summary>
    /// Several simulated days scored as one sample: each bore's stops, delays and false alarms over all of
    /// them, judged against the same targets. A median or a rate from one day's thirty stops moves by
    /// ten seconds or one alarm from day to day; the pooled figures are what the detector does.
    /// </summary>
    public static EvaluationReport Pool(IReadOnlyList<EvaluationReport> days, EvaluationTargets? targets = null)
    {
        if (days.Count == 0) throw new ArgumentException("no day to pool", nameof(days));
        var bores = days.SelectMany(d => d.Bores).GroupBy(b => b.Name)
            .Select(g => Combine(g.ToList(), g.Sum(b => b.BoreDays), g.Key)).ToList();
        var overall = Combine(bores, bores.Sum(b => b.BoreDays));
        return new EvaluationReport
        {
            Start = days.Min(d => d.Start),
            End = days.Max(d => d.End),
            Days = days.Sum(d => d.Days),
            Bores = bores,
            Overall = overall,
            Targets = Judge(bores, overall, targets ?? new EvaluationTargets(), eachSlowdown: false),
            IgnoredAlarms = days.Sum(d => d.IgnoredAlarms),
        };
    }

    private static BoreEvaluation Combine(IReadOnlyList<BoreEvaluation> bores, double boreDays, string name = "all") => new()
    {
        Name = name,
        BoreDays = boreDays,
        Vehicles = bores.Sum(b => b.Vehicles),
        ReadStops = new StopGroup(bores.SelectMany(b => b.ReadStops.Stops).ToList()),
        UnreadStops = new StopGroup(bores.SelectMany(b => b.UnreadStops.Stops).ToList()),
        CongestionStops = new StopGroup(bores.SelectMany(b => b.CongestionStops.Stops).ToList()),
        FalseOverdue = bores.SelectMany(b => b.FalseOverdue).ToList(),
        RepeatOverdue = bores.Sum(b => b.RepeatOverdue),
        OverdueDuringSlowdowns = bores.SelectMany(b => b.OverdueDuringSlowdowns).ToList(),
        Slowdowns = bores.SelectMany(b => b.Slowdowns).ToList(),
        FalseCongestion = bores.SelectMany(b => b.FalseCongestion).ToList(),
    };

    /// <param name="eachSlowdown">A line per slowdown; else (many days) one line per slowdown target, counting the slowdowns that meet it.</param>
    private static List<TargetResult> Judge(IReadOnlyList<BoreEvaluation> bores, BoreEvaluation all, EvaluationTargets t, bool eachSlowdown = true)
    {
        static string Pct(double? x) => x is { } v ? v.ToString("P1", CultureInfo.InvariantCulture) : "n/a";
        static string Sec(double? x) => x is { } v ? $"{v:F0} s" : "n/a";
        var results = new List<TargetResult>();
        var read = all.ReadStops;
        results.Add(new TargetResult("detection", $">= {Pct(t.MinDetectionRate)} of read-entry stops alarmed before exit",
            $"{read.Detected}/{read.Total} ({Pct(read.Rate)})", read.Total > 0 && read.Rate >= t.MinDetectionRate));
        results.Add(new TargetResult("median delay", $"<= {t.MaxMedianDelaySeconds:F0} s stop -> overdue alarm",
            Sec(read.Delay.MedianSeconds), read.Delay.MedianSeconds <= t.MaxMedianDelaySeconds));
        results.Add(new TargetResult("p95 delay", $"<= {t.MaxP95DelaySeconds:F0} s", Sec(read.Delay.P95Seconds), read.Delay.P95Seconds <= t.MaxP95DelaySeconds));
        var unread = all.UnreadStops;
        // No unread-entry stop in the run: nothing to fail, and the line says so.
        results.Add(new TargetResult("unread plate", $">= {Pct(t.MinUnreadDetectionRate)} of unread-entry stops alarmed (plate null)",
            unread.Total == 0 ? "no such stop in this run" : $"{unread.Detected}/{unread.Total} ({Pct(unread.Rate)})",
            unread.Total == 0 || unread.Rate >= t.MinUnreadDetectionRate));
        foreach (var b in bores)
            results.Add(new TargetResult($"false overdue {b.Name}", $"<= {t.MaxFalseOverduePerBoreDay:F1} per bore-day",
                $"{b.FalseOverdue.Count} in {b.BoreDays:F2} d ({b.FalseOverduePerDay:F2}/d)", b.FalseOverduePerDay <= t.MaxFalseOverduePerBoreDay));
        if (!eachSlowdown && all.Slowdowns.Count > 0)
        {
            var (n, one, few) = (all.Slowdowns.Count, all.Slowdowns.Count(s => s.Congestion.Count == t.CongestionAlarmsPerSlowdown),
                all.Slowdowns.Count(s => s.Overdue.Count <= t.MaxOverduePerSlowdown));
            results.Add(new TargetResult("slowdowns congestion", $"exactly {t.CongestionAlarmsPerSlowdown} congestion alarm each",
                $"{one} of {n} slowdowns", one == n));
            results.Add(new TargetResult("slowdowns overdue", $"<= {t.MaxOverduePerSlowdown} overdue alarms each (stopped vehicles excepted)",
                $"{few} of {n} slowdowns", few == n));
            return results;
        }
        foreach (var s in all.Slowdowns)
        {
            var name = $"slowdown {s.Slowdown.Site}/{s.Slowdown.Bore} {s.Slowdown.From:HH:mm}Z";
            results.Add(new TargetResult($"{name} congestion", $"exactly {t.CongestionAlarmsPerSlowdown} congestion alarm",
                s.Congestion.Count.ToString(CultureInfo.InvariantCulture), s.Congestion.Count == t.CongestionAlarmsPerSlowdown));
            results.Add(new TargetResult($"{name} overdue", $"<= {t.MaxOverduePerSlowdown} overdue alarms (stopped vehicles excepted)",
                s.Overdue.Count.ToString(CultureInfo.InvariantCulture), s.Overdue.Count <= t.MaxOverduePerSlowdown));
        }
        return results;
    }

    /// <summary>Which true vehicle an alarm is about: by entry event id, else by bore and plate.</summary>
    private sealed class Identities
    {
        private readonly Dictionary<Guid, int> _byEntryEvent = [];
        private readonly Dictionary<(string, string, string), List<VehicleTruth>> _byPlate = [];
        private readonly Dictionary<int, VehicleTruth> _byId = [];

        public Identities(SimulationTruth truth)
        {
            foreach (var v in truth.Vehicles)
            {
                _byId[v.Id] = v;
                _byEntryEvent[v.EntryEventId] = v.Id;
                AddPlate(v.Site, v.Bore, v.Plate, v);
                if (v.EntryRead is { } read && read != v.Plate) AddPlate(v.Site, v.Bore, read, v);
            }
            // A truth written without its vehicles file still knows its stopped vehicles.
            foreach (var s in truth.Stops)
            {
                _byEntryEvent.TryAdd(s.EntryEventId, s.VehicleId);
                if (_byId.ContainsKey(s.VehicleId)) continue;
                var v = FromStop(s);
                _byId[v.Id] = v;
                AddPlate(s.Site, s.Bore, s.TruePlate, v);
                if (s.EntryPlateRead is { } read && read != s.TruePlate) AddPlate(s.Site, s.Bore, read, v);
            }
        }

        public VehicleTruth? Vehicle(int id) => _byId.GetValueOrDefault(id);

        public int? ByEntryEvent(Guid eventId) => _byEntryEvent.TryGetValue(eventId, out var id) ? id : null;

        public int? Resolve(AlarmRaise alarm)
        {
            if (alarm.EntryEventId is { } eventId) return ByEntryEvent(eventId);
            if (alarm.Plate is null || !_byPlate.TryGetValue((alarm.Site, alarm.Bore, alarm.Plate), out var candidates)) return null;
            // Plates are unique per run, but a misread can collide with a real plate: prefer the one inside then.
            return (candidates.FirstOrDefault(v => v.Inside(alarm.At))
                    ?? candidates.Where(v => v.EnteredAt <= alarm.At).MaxBy(v => v.EnteredAt)
                    ?? candidates[0]).Id;
        }

        private void AddPlate(string site, string bore, string plate, VehicleTruth v)
        {
            if (!_byPlate.TryGetValue((site, bore, plate), out var list)) _byPlate[(site, bore, plate)] = list = [];
            list.Add(v);
        }

        private static VehicleTruth FromStop(StopTruth s) => new()
        {
            Id = s.VehicleId, Site = s.Site, Bore = s.Bore, Plate = s.TruePlate, PlateColor = PlateColor.Unknown,
            Class = s.Class, Hazmat = s.Hazmat, DesiredKmh = 0, EntryLane = s.Lane, ExitLane = s.Lane,
            EnteredAt = s.EnteredAt, ExitedAt = s.ExitedAt, EntryEventId = s.EntryEventId, ExitEventId = Guid.Empty,
            EntryRead = s.EntryPlateRead, ExitRead = s.TruePlate, EntryDeliveredAt = s.EnteredAt, ExitDeliveredAt = s.ExitedAt,
            Stopped = true,
        };
    }
}
