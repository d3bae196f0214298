using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Vision;

/// <summary>
/// Follows the moving regions of one lane from frame to frame and decides when each vehicle is ready to be
/// reported: after it crossed the loop, once it has left the read band, been lost, or stayed too long.
/// </summary>
internal sealed class LaneTracker(LaneGeometry lane, PassageDetectorOptions options) : IDisposable
{
    /// <summary>Below this overlap a region and a track's predicted box are not the same vehicle.</summary>
    private const double MinOverlap = 0.05;
    /// <summary>A region mostly inside a track's (slightly grown) box is a piece of that vehicle.</summary>
    private const double PieceCoverage = 0.5;
    private const double PieceGrowth = 0.15;

    private readonly List<VehicleTrack> _tracks = [];
    private readonly long _minBlobArea = (long)(options.MinBlobFraction * lane.Region.Area);
    private readonly long _minVehicleArea = (long)(options.MinVehicleFraction * lane.Region.Area);

    public LaneGeometry Lane => lane;

    public IReadOnlyList<VehicleTrack> Tracks => _tracks;

    /// <summary>Feeds one frame's moving regions (frame pixels, any lane); returns the vehicles to report now.</summary>
    public IReadOnlyList<VehicleTrack> Update(IReadOnlyList<PixelBox> regions, DateTimeOffset at)
    {
        var mine = regions.Where(lane.Holds).Select(r => Boxes.Intersect(r, lane.Region)).Where(r => r.Area >= _minBlobArea).ToList();
        var observed = Associate(mine, at);
        foreach (var (track, box) in observed) track.Observe(box, at, lane);

        var ready = new List<VehicleTrack>();
        for (var i = _tracks.Count - 1; i >= 0; i--)
        {
            var t = _tracks[i];
            t.Lost = at - t.LastSeen > options.MaxMissing;
            var due = t.CrossedAt is { } crossed && !t.Reported &&
                      (t.Lost || !lane.InReadBand(t.Box) || at - crossed >= options.MaxHoldAfterCrossing);
            if (due && t.PeakArea < _minVehicleArea)
            {
                // Crossed, but never as big as a vehicle: a person, a drifting bag, noise.
                t.Reported = true;
                due = false;
            }
            if (due) ready.Add(t);
            if (t.Lost)
            {
                _tracks.RemoveAt(i);
                if (!due) t.Dispose();
            }
        }
        ready.Reverse();
        return ready;
    }

    /// <summary>End of stream: vehicles that crossed but were not reported yet; every other track is dropped.</summary>
    public IReadOnlyList<VehicleTrack> Drain()
    {
        var pending = _tracks.Where(t => t.CrossedAt is not null && !t.Reported && t.PeakArea >= _minVehicleArea).ToList();
        foreach (var t in _tracks.Except(pending)) t.Dispose();
        _tracks.Clear();
        foreach (var t in pending) t.Lost = true;
        return pending;
    }

    /// <summary>
    /// Greedy matching by overlap with each track's predicted box; left-over regions that lie mostly inside a
    /// matched vehicle are its pieces (MOG2 splits a vehicle whose windows look like the road); the rest start tracks.
    /// </summary>
    private List<(VehicleTrack Track, PixelBox Box)> Associate(List<PixelBox> regions, DateTimeOffset at)
    {
        var predicted = _tracks.Select(t => t.Predict(at)).ToArray();
        var pairs = new List<(int T, int R, double Score)>();
        for (var t = 0; t < _tracks.Count; t++)
            for (var r = 0; r < regions.Count; r++)
            {
                var iou = Boxes.IntersectionOverUnion(predicted[t], regions[r]);
                if (iou >= MinOverlap) pairs.Add((t, r, iou));
            }

        var boxOf = new Dictionary<int, PixelBox>();
        var used = new bool[regions.Count];
        foreach (var (t, r, _) in pairs.OrderByDescending(p => p.Score))
        {
            if (used[r] || boxOf.ContainsKey(t)) continue;
            used[r] = true;
            boxOf[t] = regions[r];
        }

        for (var r = 0; r < regions.Count; r++)
        {
            if (used[r]) continue;
            var owner = -1;
            for (var t = 0; t < _tracks.Count && owner < 0; t++)
                if (Boxes.Covered(regions[r], Boxes.Grow(boxOf.TryGetValue(t, out var b) ? b : predicted[t], PieceGrowth)) >= PieceCoverage)
                    owner = t;
            if (owner < 0) continue;
            used[r] = true;
            boxOf[owner] = boxOf.TryGetValue(owner, out var current) ? Boxes.Union(current, regions[r]) : regions[r];
        }

        var observed = boxOf.Select(kv => (_tracks[kv.Key], kv.Value)).ToList();
        for (var r = 0; r < regions.Count; r++)
        {
            if (used[r]) continue;
            _tracks.Add(new VehicleTrack(regions[r], at, lane,
                new CandidateFrames(options.MaxReadsPerVehicle, options.SnapshotMargin)));
        }
        return observed;
    }

    public void Dispose()
    {
        foreach (var t in _tracks) t.Dispose();
        _tracks.Clear();
    }
}
