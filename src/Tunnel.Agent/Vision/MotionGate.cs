using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Vision;

/// <summary>
/// Finds what moves, cheaply enough for every frame: the frame is shrunk to a small image, MOG2 keeps
/// a per-pixel background model, shadows (MOG2's grey label) are dropped, specks opened away and a vehicle's
/// pieces closed together. Regions come back in the caller's frame pixels.
/// </summary>
public sealed class MotionGate : IDisposable
{
    private const byte ShadowLabel = 127;
    private readonly BackgroundSubtractor _background;
    private readonly int _width;
    private readonly int _height;
    private readonly int _smallWidth;
    private readonly int _smallHeight;
    private readonly int _closeKernel;
    private readonly int _minSmallArea;
    private readonly bool _colour;
    private readonly double _learningRate;

    public MotionGate(int frameWidth, int frameHeight, int motionWidth = 320, int history = 1000, double varianceThreshold = 25,
        int closeKernel = 7, int minSmallArea = 6, bool colour = true)
    {
        if (frameWidth <= 0 || frameHeight <= 0) throw new ArgumentException("frame size must be positive");
        _width = frameWidth;
        _height = frameHeight;
        _smallWidth = Math.Min(frameWidth, motionWidth);
        _smallHeight = Math.Max(1, (int)Math.Round((double)frameHeight * _smallWidth / frameWidth));
        _closeKernel = closeKernel;
        _minSmallArea = minSmallArea;
        _colour = colour;
        _background = BackgroundSubtractor.CreateMog2(history, varianceThreshold, detectShadows: true);
        _learningRate = 1.0 / history;
    }

    /// <summary>Moving regions of <paramref name="frame"/> (BGR, the size given at construction), in its pixels.</summary>
    public IReadOnlyList<PixelBox> Detect(Mat frame)
    {
        if (frame.Width != _width || frame.Height != _height)
            throw new ArgumentException($"frame is {frame.Width}x{frame.Height}, the motion gate was set up for {_width}x{_height}");
        using var small = Cv.Resize(frame, _smallWidth, _smallHeight, Interpolation.Area);
        // Colour costs three channels of a tiny image and sees a vehicle as dark or as bright as the road.
        using var grey = _colour ? null : Cv.CvtColor(small, ColorConversion.BgrToGray);
        // A fixed rate from the first frame: OpenCV's default (1/frames seen, until the history is full) learns so
        // fast at the start that a long uniform body becomes background while it is still driving past. The first
        // frame still seeds the model at full weight.
        using var raw = _background.Apply(grey ?? small, _learningRate);
        using var solid = Cv.Threshold(raw, ShadowLabel, 255, ThresholdType.Binary, out _);
        using var opened = Cv.Morphology(solid, MorphOp.Open, MorphShape.Rect, 3, 3);
        using var closed = Cv.Morphology(opened, MorphOp.Close, MorphShape.Ellipse, _closeKernel, _closeKernel);

        var sx = (double)_width / _smallWidth;
        var sy = (double)_height / _smallHeight;
        var regions = new List<PixelBox>();
        foreach (var c in Cv.ConnectedComponents(closed))
        {
            if (c.Area < _minSmallArea) continue;
            var x = (int)Math.Floor(c.Box.X * sx);
            var y = (int)Math.Floor(c.Box.Y * sy);
            var right = Math.Min(_width, (int)Math.Ceiling(c.Box.Right * sx));
            var bottom = Math.Min(_height, (int)Math.Ceiling(c.Box.Bottom * sy));
            regions.Add(new PixelBox(x, y, right - x, bottom - y));
        }
        return regions;
    }

    public void Dispose() => _background.Dispose();
}
