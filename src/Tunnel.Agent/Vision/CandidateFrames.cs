using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Vision;

/// <summary>A crop of one frame around a vehicle, kept for recognition.</summary>
internal sealed class CandidateFrame(Mat image, PixelBox crop, DateTimeOffset at, double score) : IDisposable
{
    public Mat Image { get; } = image;
    /// <summary>Where the crop lies in the frame.</summary>
    public PixelBox Crop { get; } = crop;
    public DateTimeOffset At { get; } = at;
    public double Score { get; } = score;

    public void Dispose() => Image.Dispose();
}

/// <summary>
/// The few best frames of one vehicle while it is near the loop: best means largest (closest to the camera,
/// most plate pixels), wholly in view (a vehicle cut by the edge of the view may have its plate cut off) and
/// sharpest (least motion blur), scored as area x visibility x sharpness / (sharpness + knee) so sharpness
/// matters while frames are blurred and stops mattering once they are sharp.
/// </summary>
internal sealed class CandidateFrames(int capacity, double margin) : IDisposable
{
    /// <summary>Laplacian variance at which a frame counts as half sharp.</summary>
    internal const double SharpnessKnee = 60;
    private readonly List<CandidateFrame> _kept = [];

    public int Count => _kept.Count;

    public CandidateFrame? Best => _kept.Count == 0 ? null : _kept.MaxBy(c => c.Score);

    public IReadOnlyList<CandidateFrame> BestFirst() => _kept.OrderByDescending(c => c.Score).ToArray();

    /// <param name="visibility">1 when the whole vehicle is in view, less when the region's edge cuts it (its plate may be the part cut off).</param>
    public void Offer(Mat frame, PixelBox vehicle, double visibility, DateTimeOffset at)
    {
        // Sharpness only lowers a score: a frame whose size alone cannot beat the worst kept one is skipped uncropped.
        var size = vehicle.Area * visibility;
        if (_kept.Count >= capacity && size < _kept.Min(c => c.Score)) return;
        var bounds = new PixelBox(0, 0, frame.Width, frame.Height);
        var crop = Boxes.Intersect(Boxes.Grow(vehicle, margin, 8), bounds);
        if (crop.Area == 0) return;
        var image = frame.Crop(crop.X, crop.Y, crop.Width, crop.Height);
        var sharpness = Cv.LaplacianVariance(image);
        var score = size * sharpness / (sharpness + SharpnessKnee);
        if (_kept.Count >= capacity)
        {
            var worst = _kept.MinBy(c => c.Score)!;
            if (score <= worst.Score)
            {
                image.Dispose();
                return;
            }
            _kept.Remove(worst);
            worst.Dispose();
        }
        _kept.Add(new CandidateFrame(image, crop, at, score));
    }

    public void Clear()
    {
        foreach (var c in _kept) c.Dispose();
        _kept.Clear();
    }

    public void Dispose() => Clear();
}
