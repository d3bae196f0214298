using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;

namespace Tunnel.Central.Matching;

/// <summary>
/// The vehicles inside one bore, and which open transit an exit passage closes: the same plate,
/// or a similar one (OCR-confusion-aware, weighted by confidences) with a plausible transit time and
/// a consistent class and colour. Exits that match nothing are kept as <see cref="OrphanExit"/>s.
/// </summary>
public sealed class BoreMatcher
{
    /// <summary>A fuzzy match must be at most this far (see <see cref="PlateSimilarity"/>)...</summary>
    public const double MaxFuzzyDistance = 1.25;
    /// <summary>...and this much better than the runner-up, or the exit stays unmatched.</summary>
    public const double FuzzyMargin = 1.0;
    /// <summary>How long a guessed exit (fuzzy or inferred) can still be corrected by the vehicle's own exit read exactly: a stop lasts up to an hour.</summary>
    private static readonly TimeSpan RematchWindow = TimeSpan.FromHours(1);

    private readonly List<Transit>[] _lanes;
    private readonly Dictionary<string, List<Transit>> _byPlate = new(StringComparer.Ordinal);
    // Nearly every plate is seen once: its list is made on entry and dropped on exit, so they are lent instead.
    private readonly ListPool<Transit> _plateLists = new(keep: 64);
    private readonly Queue<Transit> _recentGuesses = new();
    // The same guesses by plate, oldest first, so an exit asks only those of its own plate.
    private readonly Dictionary<string, List<Transit>> _guessesByPlate = new(StringComparer.Ordinal);
    private readonly long[] _laneEntries;

    public BoreMatcher(BoreConfig config)
    {
        Config = config;
        _lanes = Enumerable.Range(0, config.Lanes).Select(_ => new List<Transit>()).ToArray();
        _laneEntries = new long[config.Lanes];
        _keptLaneExits = Enumerable.Range(0, config.Lanes).Select(_ => new List<KeptLaneExit>()).ToArray();
        var nominal = config.NominalTransit;
        // Kept, not derived at each read: the config is immutable, and weighings and the fuzzy search ask for it per candidate.
        Shortest = nominal / 1.6;
        Times = Enumerable.Range(0, TransitTimeModel.Groups)
            .Select(g => new TransitTimeModel(g == 0 ? nominal : nominal * 1.2)).ToArray();
    }

    public BoreConfig Config { get; }

    /// <summary>
    /// Shortest believable transit: 60 % over the speed limit. A physical bound on purpose: one learnt
    /// from recent transits would, after a jam, refuse the normal transits it needs to recover.
    /// </summary>
    public TimeSpan Shortest { get; }
    public TransitTimeModel[] Times { get; }
    public List<OrphanExit> Orphans { get; } = [];
    public SequenceGaps ExitGaps { get; } = new();
    public int OpenCount { get; private set; }

    /// <summary>
    /// The open transits of a lane in entry order, as a view for the innermost loops (an interface call
    /// per element costs more there than the loop's own work). Valid only until a transit of the bore opens or closes.
    /// </summary>
    public ReadOnlySpan<Transit> OpenInLane(int lane) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_lanes[LaneIndex(lane)]);

    /// <summary>
    /// A vehicle that kept its lane left by it. Remembered a minute: a vehicle that changed into that lane
    /// behind it followed it out within moments (<see cref="LastLeftAhead"/>).
    /// </summary>
    public void KeptLaneLeft(Transit leaver, DateTimeOffset leftAt, DateTimeOffset now)
    {
        var exits = _keptLaneExits[LaneIndex(leaver.Lane)];
        var kept = 0;
        for (var i = 0; i < exits.Count; i++)
            if (now - exits[i].LeftAt <= RememberKeptLaneExits) exits[kept++] = exits[i];
        exits.RemoveRange(kept, exits.Count - kept);
        exits.Add(new KeptLaneExit(leaver, leftAt));
    }

    /// <summary>The vehicles that kept <paramref name="lane"/> and left by it in the last minute or so.</summary>
    public ReadOnlySpan<KeptLaneExit> RecentKeptLaneExits(int lane) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_keptLaneExits[LaneIndex(lane)]);

    /// <summary>When the last of the recent vehicles that entered <paramref name="lane"/> before <paramref name="enteredAt"/> and kept it left; MinValue if none did.</summary>
    public DateTimeOffset LastLeftAhead(int lane, DateTimeOffset enteredAt) => LastLeaverAhead(lane, enteredAt).LeftAt;

    /// <summary>Of the vehicles of a lane that entered before <paramref name="enteredAt"/> and left by it in the last minute, the last to leave.</summary>
    public KeptLaneExit LastLeaverAhead(int lane, DateTimeOffset enteredAt)
    {
        var last = new KeptLaneExit(null!, DateTimeOffset.MinValue);
        foreach (var exit in _keptLaneExits[LaneIndex(lane)])
            if (exit.Leaver.EnteredAt < enteredAt && exit.LeftAt > last.LeftAt) last = exit;
        return last;
    }

    private static readonly TimeSpan RememberKeptLaneExits = TimeSpan.FromMinutes(1);
    private readonly List<KeptLaneExit>[] _keptLaneExits;

    /// <summary>Every open transit, lane by lane (a struct: the weighing loops walk it all the time).</summary>
    public OpenTransits AllOpen => new(_lanes);

    public TransitTimeModel TimesFor(Transit t) => Times[TransitTimeModel.GroupOf(t.Class, t.Hazmat)];

    public long LaneEntries(int lane) => _laneEntries[LaneIndex(lane)];

    public Transit Open(Passage entry)
    {
        var transit = new Transit(entry) { LaneEntryIndex = ++_laneEntries[LaneIndex(entry.Lane)] };
        Track(transit);
        return transit;
    }

    public void Close(Transit transit, Passage exit, ExitMatch how)
    {
        Forget(transit);
        transit.Close(exit, how);
        if (how == ExitMatch.Fuzzy) RememberGuess(transit);
    }

    public void CloseInferred(Transit transit, OrphanExit orphan)
    {
        Orphans.Remove(orphan);
        transit.ProbableExit = null;
        Forget(transit);
        transit.Close(orphan.Passage, ExitMatch.Inferred);
        RememberGuess(transit);
    }

    /// <summary>
    /// Stops tracking a transit no exit passage ended: one that never left (see <c>DetectorSettings.MaxTracked</c>), or one an
    /// operator saw leave (<see cref="ExitMatch.SeenLeaving"/>).
    /// </summary>
    public void Drop(Transit transit, ExitMatch how = ExitMatch.GivenUp)
    {
        if (transit.ProbableExit is { } orphan) orphan.ClaimedBy = null;
        transit.ProbableExit = null;
        Forget(transit);
        transit.GiveUp(how);
    }

    /// <summary>Vehicles closed on an unmatched exit (<see cref="CloseInferred"/>) within the rematch window.</summary>
    public IEnumerable<Transit> RecentInferred => _recentGuesses.Where(g => g.Match == ExitMatch.Inferred);

    /// <summary>
    /// Puts a vehicle closed on an unmatched exit back inside, holding that exit again: another vehicle needs it as much.
    /// </summary>
    public void ReopenInferred(Transit transit)
    {
        var orphan = new OrphanExit(transit.Exit!) { ClaimedBy = transit };
        Reopen(transit);
        transit.ProbableExit = orphan;
        Orphans.Add(orphan);
    }

    /// <summary>Puts a transit closed by a fuzzy match back inside: its real exit turned up.</summary>
    public void Reopen(Transit transit)
    {
        transit.Reopen();
        Track(transit);
    }

    private void Track(Transit transit)
    {
        // Entries arrive nearly in order; a late one is slotted in by its capture time.
        var lane = _lanes[LaneIndex(transit.Lane)];
        var at = lane.Count;
        while (at > 0 && lane[at - 1].EnteredAt > transit.EnteredAt) at--;
        lane.Insert(at, transit);
        if (transit.Plate is { } plate)
        {
            if (!_byPlate.TryGetValue(plate.Text, out var list)) _byPlate[plate.Text] = list = _plateLists.Take();
            list.Add(transit);
        }
        OpenCount++;
    }

    private void Forget(Transit transit)
    {
        if (!transit.IsOpen) return;
        _lanes[LaneIndex(transit.Lane)].Remove(transit);
        if (transit.Plate is { } plate && _byPlate.TryGetValue(plate.Text, out var list))
        {
            list.Remove(transit);
            if (list.Count == 0)
            {
                _byPlate.Remove(plate.Text);
                _plateLists.Give(list);
            }
        }
        OpenCount--;
    }

    /// <summary>
    /// The open transit this exit closes, or a transit wrongly closed by a fuzzy match or an inferred exit that this exit reads exactly.
    /// <paramref name="timeCounts"/>: whether a vehicle's elapsed time counts (not while its bore is congested, nor for one that
    /// entered during the slow spell); only such a vehicle may have driven through at free-flow speed (all of them when null).
    /// </summary>
    public ExitCandidate FindMatch(Passage exit, Func<Transit, bool>? timeCounts = null)
    {
        if (exit.Plate is not { } plate) return default;
        var now = exit.CapturedAt;
        while (_recentGuesses.TryPeek(out var old) && (old.IsOpen || now - old.ExitedAt > RematchWindow)) ForgetOldestGuess();

        Transit? best = null;
        var bestScore = double.MaxValue;
        if (_byPlate.TryGetValue(plate.Text, out var same))
            foreach (var t in same)
            {
                if (!Plausible(t, now)) continue;
                var score = TimesFor(t).Mismatch(now - t.EnteredAt);
                if (score < bestScore) (best, bestScore) = (t, score);
            }
        if (best is not null) return new ExitCandidate(best, ExitMatch.Exact, Rematch: false);

        if (_guessesByPlate.TryGetValue(plate.Text, out var guessed))
            foreach (var t in guessed)
                if (t.EnteredAt < now)
                    return new ExitCandidate(t, ExitMatch.Exact, Rematch: true);

        double runnerUp = double.MaxValue;
        // Replay files are not schema-checked: a plate may be any length, and only a short one goes on the stack.
        Span<double> certainty = plate.Text.Length <= 16 ? stackalloc double[plate.Text.Length] : new double[plate.Text.Length];
        PlateSimilarity.Certainties(plate, certainty);
        foreach (var lane in _lanes)
            foreach (var t in lane)
            {
                if (t.Plate is not { } read || !Plausible(t, now)) continue;
                if (Math.Abs(read.Text.Length - plate.Text.Length) > 1) continue;
                var distance = PlateSimilarity.WeightedDistance(read.Text, t.PlateCertainty, plate.Text, certainty, MaxFuzzyDistance);
                if (distance > MaxFuzzyDistance) continue;
                // Free flow judges a transit shorter than the learnt one too: after a long blockage the learnt
                // times run long, and a vehicle that entered once it cleared drove through at the usual speed.
                // Not one that entered while the bore crawled: at free-flow speed a misread exit of a truck queued
                // for twelve minutes fitted a truck that had entered three minutes before as well, and closing
                // that one counted a pass against every vehicle of its lane ahead of it (eight false alarms as
                // one slowdown drained, simulated seed 64).
                var times = TimesFor(t);
                var transit = now - t.EnteredAt;
                var score = 2.5 * distance + Consistency.ClassCost(t.Class, exit.Vehicle.Class)
                    + Consistency.ColourCost(read.Color, plate.Color)
                    + (t.Lane == exit.Lane ? 0 : 1.0)
                    + Math.Min(timeCounts is null || timeCounts(t) ? times.MismatchOrFreeFlow(transit) : times.Mismatch(transit), 3);
                if (score < bestScore) { runnerUp = bestScore; (best, bestScore) = (t, score); }
                else if (score < runnerUp) runnerUp = score;
            }
        if (best is not null && bestScore <= 6 && runnerUp - bestScore >= FuzzyMargin)
            return new ExitCandidate(best, ExitMatch.Fuzzy, Rematch: false);
        return default;
    }

    private void RememberGuess(Transit transit)
    {
        // Closed on a guess once more after being put back inside (seed 28): remembered once, or it would be
        // handed exits twice, as two vehicles.
        if (_recentGuesses.Contains(transit)) return;
        _recentGuesses.Enqueue(transit);
        if (transit.Plate is not { } plate) return;
        if (!_guessesByPlate.TryGetValue(plate.Text, out var list)) _guessesByPlate[plate.Text] = list = [];
        list.Add(transit);
    }

    private void ForgetOldestGuess()
    {
        var oldest = _recentGuesses.Dequeue();
        if (oldest.Plate is not { } plate || !_guessesByPlate.TryGetValue(plate.Text, out var list)) return;
        list.RemoveAt(0);
        if (list.Count == 0) _guessesByPlate.Remove(plate.Text);
    }

    private bool Plausible(Transit t, DateTimeOffset exitAt) => exitAt - t.EnteredAt >= Shortest;

    private int LaneIndex(int lane) => Math.Clamp(lane, 1, _lanes.Length) - 1;
}

/// <summary>A vehicle that left by the lane it entered, and when.</summary>
public readonly record struct KeptLaneExit(Transit Leaver, DateTimeOffset LeftAt);

public readonly record struct ExitCandidate(Transit? Transit, ExitMatch How, bool Rematch);

/// <summary>How much a disagreement in class or colour between two sightings counts against "same vehicle".</summary>
public static class Consistency
{
    public static double ClassCost(VehicleClass a, VehicleClass b)
    {
        if (a == b || a == VehicleClass.Unknown || b == VehicleClass.Unknown) return 0;
        return (a, b) switch
        {
            (VehicleClass.Truck, VehicleClass.Bus) or (VehicleClass.Bus, VehicleClass.Truck) => 1.5,
            (VehicleClass.Car, VehicleClass.Van) or (VehicleClass.Van, VehicleClass.Car) => 1.5,
            (VehicleClass.Van, VehicleClass.Truck) or (VehicleClass.Truck, VehicleClass.Van) => 2.5,
            _ => 4,
        };
    }

    public static double ColourCost(PlateColor? a, PlateColor? b) =>
        a is null || b is null || a == b || a == PlateColor.Unknown || b == PlateColor.Unknown ? 0 : 3;
}

/// <summary>The open transits of a bore, lane after lane, walked without allocating.</summary>
public readonly struct OpenTransits(List<Transit>[] lanes) : IEnumerable<Transit>
{
    public Enumerator GetEnumerator() => new(lanes);
    IEnumerator<Transit> IEnumerable<Transit>.GetEnumerator() => GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator(List<Transit>[] lanes) : IEnumerator<Transit>
    {
        private int _lane;
        private int _index = -1;

        public readonly Transit Current => lanes[_lane][_index];
        readonly object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            while (_lane < lanes.Length)
            {
                if (++_index < lanes[_lane].Count) return true;
                _lane++;
                _index = -1;
            }
            return false;
        }

        public void Reset() => (_lane, _index) = (0, -1);
        public readonly void Dispose() { }
    }
}
