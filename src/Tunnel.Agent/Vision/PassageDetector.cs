using System.Diagnostics;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>
/// Turns a camera's frames into one <see cref="VehiclePassed"/> per vehicle and lane: a motion gate on every
/// frame, a tracker and virtual loop per lane, candidate frames while a vehicle is near the loop, and plate
/// recognition only on the best few of those once the vehicle has crossed. One instance per camera; not
/// thread-safe (frames come in order).
/// </summary>
public sealed class PassageDetector : IDisposable
{
    private readonly IReadOnlyList<LaneView> _views;
    private readonly PlateReader? _reader;
    private readonly PassageDetectorOptions _options;
    private MotionGate? _gate;
    private LaneTracker[] _trackers = [];
    private (int Width, int Height) _frameSize;
    private long _frames, _motionFrames, _runs, _vehicles;
    private double _totalMs, _recognitionMs;

    /// <param name="reader">Null counts vehicles without reading plates.</param>
    public PassageDetector(IReadOnlyList<LaneView> lanes, PlateReader? reader, PassageDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(lanes);
        LaneGeometry.CheckShape(lanes);
        _options = options ?? new PassageDetectorOptions();
        _options.Check();
        _views = lanes.ToArray();
        _reader = reader;
    }

    public DetectorCounters Counters => new(_frames, _motionFrames, _runs, _vehicles,
        _frames == 0 ? 0 : _totalMs / _frames, _recognitionMs);

    /// <summary>Feeds the next frame (BGR) taken at <paramref name="at"/>; returns the vehicles that completed their passage.</summary>
    public IReadOnlyList<VehiclePassed> Process(Mat frame, DateTimeOffset at)
    {
        var clock = Stopwatch.StartNew();
        EnsureSetUp(frame);
        var regions = _gate!.Detect(frame);
        _frames++;
        var passed = new List<VehiclePassed>();
        var moving = false;
        foreach (var tracker in _trackers)
        {
            var ready = tracker.Update(regions, at);
            foreach (var track in tracker.Tracks)
            {
                if (track.LastSeen != at || track.Reported) continue;
                moving = true;
                if (tracker.Lane.InReadBand(track.Box)) track.Candidates.Offer(frame, track.Box, tracker.Lane.Visibility(track.Box, track.VelocityY, _options.PlateEnd), at);
            }
            foreach (var track in ready) passed.Add(Report(tracker.Lane, track));
        }
        if (moving) _motionFrames++;
        _totalMs += clock.Elapsed.TotalMilliseconds;
        return passed;
    }

    /// <summary>End of stream: reports the vehicles that crossed a loop but were still being followed.</summary>
    public IReadOnlyList<VehiclePassed> Flush()
    {
        var passed = new List<VehiclePassed>();
        foreach (var tracker in _trackers)
            foreach (var track in tracker.Drain())
                passed.Add(Report(tracker.Lane, track));
        return passed;
    }

    /// <summary>
    /// A still photo of one vehicle (image-folder sources): read within the lane's region when the image holds
    /// it, else the whole image; the class comes from the plate only (no motion, no size).
    /// </summary>
    public VehiclePassed ProcessStill(Mat image, DateTimeOffset at, int lane)
    {
        var view = _views.FirstOrDefault(v => v.Lane == lane)
                   ?? throw new ArgumentException($"lane {lane} is not configured (configured: {string.Join(", ", _views.Select(v => v.Lane))})", nameof(lane));
        var r = view.Region;
        RegionOfInterest? roi = r.X >= 0 && r.Y >= 0 && r.X + r.Width <= image.Width && r.Y + r.Height <= image.Height ? r : null;
        PlateResult? plate = null;
        var runs = 0;
        if (_reader is not null)
        {
            var clock = Stopwatch.StartNew();
            plate = _reader.Read(image, roi);
            _recognitionMs += clock.Elapsed.TotalMilliseconds;
            runs = 1;
        }
        _runs += runs;
        _vehicles++;
        var (cls, classConfidence) = VehicleClassification.Combine(plate, null);
        // With no plate read, the signs on the vehicle still tell a tanker.
        var hazmat = plate?.HazmatConfidence ?? _reader?.DetectHazmat(image).Confidence ?? 0;
        return new VehiclePassed(lane, at, plate, cls, classConfidence, hazmat >= HazmatSigns.Threshold, hazmat,
            Snapshot(image), runs);
    }

    private byte[] Snapshot(Mat image)
    {
        if (!_options.Snapshots) return [];
        var jpeg = Cv.Encode(image, ".jpg", _options.SnapshotJpegQuality);
        for (var scale = 2; jpeg.Length > _options.SnapshotMaxBytes && image.Width / scale >= 80; scale *= 2)
        {
            using var smaller = Cv.Resize(image, image.Width / scale, image.Height / scale, Interpolation.Area);
            jpeg = Cv.Encode(smaller, ".jpg", _options.SnapshotJpegQuality);
        }
        return jpeg;
    }

    private VehiclePassed Report(LaneGeometry lane, VehicleTrack track)
    {
        var clock = Stopwatch.StartNew();
        var readout = VehicleReading.Read(_reader, track.Candidates, _options);
        _recognitionMs += clock.Elapsed.TotalMilliseconds;
        _runs += readout.Runs;
        _vehicles++;

        var size = SizeOf(track, lane);
        var (cls, classConfidence) = VehicleClassification.Combine(readout.Plate, size);
        var snapshot = readout.BestFrame is { } best
            ? Snapshot(best.Image)
            : [];
        var passed = new VehiclePassed(lane.Lane, track.CrossedAt!.Value, readout.Plate, cls, classConfidence,
            readout.Hazmat, readout.HazmatConfidence, snapshot, readout.Runs);

        track.Reported = true;
        if (track.Lost) track.Dispose();
        else track.Candidates.Clear();
        return passed;
    }

    private static VehicleSize? SizeOf(VehicleTrack track, LaneGeometry lane)
    {
        if (!lane.Calibrated) return null;
        var ppm = lane.PixelsPerMetre;
        return track.SpannedRegion || track.MaxLength == 0
            ? new VehicleSize(lane.Region.Height / ppm, track.MaxWidth / ppm, LengthIsAtLeast: true)
            : new VehicleSize(track.MaxLength / ppm, track.MaxWidth / ppm, LengthIsAtLeast: false);
    }

    private void EnsureSetUp(Mat frame)
    {
        var size = (frame.Width, frame.Height);
        if (_gate is not null)
        {
            if (size != _frameSize)
                throw new ArgumentException($"frame size changed from {_frameSize.Width}x{_frameSize.Height} to {size.Width}x{size.Height}; " +
                                            "a camera's lane regions hold for one resolution: start a new detector");
            return;
        }
        // Lanes are checked against the first frame: the configuration does not know the camera's resolution.
        var lanes = _views.Select(v => LaneGeometry.From(v, size.Width, size.Height, _options.ReadBand)).ToArray();
        _gate = new MotionGate(size.Width, size.Height, _options.MotionWidth, _options.BackgroundHistory,
            _options.BackgroundVarianceThreshold, _options.MotionCloseKernel, colour: _options.MotionInColour);
        _trackers = lanes.Select(l => new LaneTracker(l, _options)).ToArray();
        _frameSize = size;
    }

    public void Dispose()
    {
        foreach (var t in _trackers) t.Dispose();
        _gate?.Dispose();
    }
}
