using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Vision;

/// <summary>One moving region followed from frame to frame in a lane, with what the loop and the reads need.</summary>
internal sealed class VehicleTrack : IDisposable
{
    private int _offSide;
    private double _vx;
    private double _vy;

    public VehicleTrack(PixelBox box, DateTimeOffset at, LaneGeometry lane, CandidateFrames candidates)
    {
        Box = box;
        LastSeen = at;
        Candidates = candidates;
        Measure(box, lane);
        _offSide = SideOf(box, lane);
    }

    public PixelBox Box { get; private set; }
    public DateTimeOffset LastSeen { get; private set; }
    /// <summary>When the vehicle reached the loop from one side; null until it has.</summary>
    public DateTimeOffset? CrossedAt { get; private set; }
    public bool Reported { get; set; }
    public bool Lost { get; set; }
    public long PeakArea { get; private set; }
    public int MaxWidth { get; private set; }
    /// <summary>Longest extent seen while the whole vehicle was inside the region (0 if it never was).</summary>
    public int MaxLength { get; private set; }
    /// <summary>The vehicle once covered the region from top to bottom: it is at least that long.</summary>
    public bool SpannedRegion { get; private set; }
    public CandidateFrames Candidates { get; }
    /// <summary>Vertical speed of the box centre, pixels per second (positive: down the image).</summary>
    public double VelocityY => _vy;

    /// <summary>Where the box should be at <paramref name="at"/> if it keeps its speed.</summary>
    public PixelBox Predict(DateTimeOffset at)
    {
        var dt = (at - LastSeen).TotalSeconds;
        return Boxes.Shift(Box, (int)Math.Round(_vx * dt), (int)Math.Round(_vy * dt));
    }

    public void Observe(PixelBox box, DateTimeOffset at, LaneGeometry lane)
    {
        var dt = (at - LastSeen).TotalSeconds;
        if (dt > 0)
        {
            // Centre speed, smoothed: a blob's edges jitter by a few pixels from frame to frame.
            var vx = (box.X + box.Width / 2.0 - (Box.X + Box.Width / 2.0)) / dt;
            var vy = (box.Y + box.Height / 2.0 - (Box.Y + Box.Height / 2.0)) / dt;
            _vx = 0.5 * _vx + 0.5 * vx;
            _vy = 0.5 * _vy + 0.5 * vy;
        }
        Box = box;
        LastSeen = at;
        Measure(box, lane);

        // The loop fires once: when a track first seen off the loop reaches it or jumps past it. A track born on
        // the loop never fires: that is a piece of a vehicle, a ghost left in the background, or a vehicle the
        // background absorbed while stopped, all of which were (or will be) counted by their own track.
        if (_offSide != 0 && CrossedAt is null && SideOf(box, lane) != _offSide) CrossedAt = at;
    }

    private void Measure(PixelBox box, LaneGeometry lane)
    {
        PeakArea = Math.Max(PeakArea, box.Area);
        MaxWidth = Math.Max(MaxWidth, box.Width);
        var (touchesTop, touchesBottom) = lane.EdgesCut(box);
        if (!touchesTop && !touchesBottom) MaxLength = Math.Max(MaxLength, box.Height);
        if (touchesTop && touchesBottom) SpannedRegion = true;
    }

    /// <summary>-1 wholly before the loop line (above it), 0 on it, +1 wholly past it.</summary>
    private static int SideOf(PixelBox box, LaneGeometry lane) => lane.OnLoop(box) ? 0 : box.Bottom <= lane.LoopY ? -1 : 1;

    public void Dispose() => Candidates.Dispose();
}
