namespace Tunnel.Agent.Vision;

public enum PlateEnd { Either, Leading, Trailing }

/// <summary>Tuning of <see cref="PassageDetector"/>; the defaults suit a portal camera at 720p to 1080p, 12 to 30 fps.</summary>
public sealed record PassageDetectorOptions
{
    /// <summary>Width of the grey frame that motion detection works on: cost barely depends on the camera's resolution.</summary>
    public int MotionWidth { get; init; } = 320;
    /// <summary>Model the background in colour rather than grey: finds vehicles as bright as the road, for about twice the (small) cost.</summary>
    public bool MotionInColour { get; init; } = true;
    /// <summary>
    /// MOG2 history in frames (learning rate 1/history): longer adapts more slowly to light changes but absorbs a
    /// stopped vehicle later (after about a tenth of the history: 4 s at 25 fps for 1000).
    /// </summary>
    public int BackgroundHistory { get; init; } = 1000;
    /// <summary>MOG2 squared Mahalanobis distance above which a pixel is foreground.</summary>
    public double BackgroundVarianceThreshold { get; init; } = 25;
    /// <summary>Closing kernel (motion-frame pixels) that joins a vehicle's pieces; two vehicles closer than this merge.</summary>
    public int MotionCloseKernel { get; init; } = 7;

    /// <summary>Smallest moving region, as a fraction of the lane region's area, that starts a track.</summary>
    public double MinBlobFraction { get; init; } = 0.004;
    /// <summary>A track counts as a vehicle only if its region reached this fraction of the lane region's area.</summary>
    public double MinVehicleFraction { get; init; } = 0.02;
    /// <summary>A track not seen for this long is over.</summary>
    public TimeSpan MaxMissing { get; init; } = TimeSpan.FromMilliseconds(600);

    /// <summary>Half-height of the read band around the loop, as a fraction of the region's height: candidate frames are taken while the vehicle overlaps it.</summary>
    public double ReadBand { get; init; } = 0.3;
    /// <summary>
    /// Which end of the vehicle carries the plate the camera reads: the leading end (a camera facing oncoming
    /// traffic), the trailing end (a camera looking at vehicles driving away) or either. Used when a vehicle is
    /// longer than the view: frames showing the other end are poor candidates.
    /// </summary>
    public PlateEnd PlateEnd { get; init; } = PlateEnd.Either;
    /// <summary>Plate reads per vehicle at most (the best candidate frames, best first).</summary>
    public int MaxReadsPerVehicle { get; init; } = 3;
    /// <summary>Reading stops early once this many reads agree with at least <see cref="AgreeingConfidence"/>.</summary>
    public int AgreeingReads { get; init; } = 2;
    public double AgreeingConfidence { get; init; } = 0.8;
    /// <summary>A vehicle that crossed the loop but stays in the read band (stopped, slow) is reported after this long anyway.</summary>
    public TimeSpan MaxHoldAfterCrossing { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Margin around the vehicle kept in candidate crops and snapshots, as a fraction of its size.</summary>
    public double SnapshotMargin { get; init; } = 0.15;
    public int SnapshotJpegQuality { get; init; } = 85;
    /// <summary>False: no snapshot is encoded at all (<see cref="VehiclePassed.SnapshotJpeg"/> is empty).</summary>
    public bool Snapshots { get; init; } = true;
    /// <summary>A snapshot is halved until it fits: one MQTT packet of the private broker is 256 KiB, with room for the topic.</summary>
    public int SnapshotMaxBytes { get; init; } = 240 * 1024;

    internal void Check()
    {
        if (MotionWidth < 32) throw new ArgumentException("MotionWidth must be at least 32 pixels");
        if (BackgroundHistory < 2) throw new ArgumentException("BackgroundHistory must be at least 2 frames");
        if (MaxReadsPerVehicle < 1) throw new ArgumentException("MaxReadsPerVehicle must be at least 1");
        if (MotionCloseKernel < 1) throw new ArgumentException("MotionCloseKernel must be at least 1");
        if (ReadBand is <= 0 or > 1) throw new ArgumentException("ReadBand must lie in (0, 1]");
        if (SnapshotJpegQuality is < 1 or > 100) throw new ArgumentException("SnapshotJpegQuality must lie in 1..100");
    }
}
