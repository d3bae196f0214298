using Tunnel.Recognition.Native;
using Tunnel.Recognition.Onnx;

namespace Tunnel.Recognition.Plates;

/// <summary>A text region found by the detector: a rotated rectangle in image coordinates and its mean text probability.</summary>
public readonly record struct TextBox(RotatedBox Box, float Score)
{
    /// <summary>Corners clockwise from top-left, with the long side horizontal.</summary>
    public (float X, float Y)[] Corners() => Geometry.Corners(Box);
}

/// <summary>
/// PP-OCRv4's DB text detector: a per-pixel text probability map, thresholded, its connected regions
/// boxed by minimum-area rectangles and grown back ("unclipped") by the shrink the model was trained with.
/// </summary>
public sealed class TextDetector : IDisposable
{
    // ImageNet statistics in the channel order of the image (BGR), as PaddleOCR feeds its detector.
    private static readonly float[] Mean = [0.485f * 255, 0.456f * 255, 0.406f * 255];
    private static readonly float[] Scale = [1 / (0.229f * 255), 1 / (0.224f * 255), 1 / (0.225f * 255)];
    private readonly OnnxSession _session;

    public TextDetector(string modelPath, int threads = 1) => _session = OnnxSession.Load(modelPath, threads);

    public float BinaryThreshold { get; init; } = 0.3f;
    public float BoxThreshold { get; init; } = 0.5f;
    public float UnclipRatio { get; init; } = 1.6f;
    public int MinSide { get; init; } = 4;

    /// <summary>Detects text in <paramref name="image"/> scaled so its longer side is at most <paramref name="maxSide"/> (multiples of 32).</summary>
    public List<TextBox> Detect(Mat image, int maxSide = 640)
    {
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(image.Width, image.Height));
        var w = Math.Max(32, (int)Math.Round(image.Width * scale / 32) * 32);
        var h = Math.Max(32, (int)Math.Round(image.Height * scale / 32) * 32);
        using var resized = Cv.Resize(image, w, h);
        var input = new float[3 * w * h];
        Cv.ToPlanarFloat(resized, input, w, h, Mean, Scale);
        using var output = _session.Run(input, [1, 3, h, w]);
        var prob = output.Data;
        var mask = new byte[w * h];
        for (var i = 0; i < mask.Length; i++) mask[i] = prob[i] > BinaryThreshold ? (byte)255 : (byte)0;
        using var binary = Mat.Create(h, w, Mat.Type8UC1, mask);
        var sx = (float)image.Width / w;
        var sy = (float)image.Height / h;
        var boxes = new List<TextBox>();
        foreach (var contour in Cv.FindContours(binary))
        {
            if (contour.Length < 4) continue;
            var r = Cv.MinAreaRect(contour);
            if (Math.Min(r.Width, r.Height) < MinSide / 2f) continue;
            var score = MeanInside(prob, w, h, contour);
            if (score < BoxThreshold) continue;
            // DB shrinks text regions by D = A(1-r^2)/L when training; grow back by A*ratio/L.
            var area = r.Width * r.Height;
            var perimeter = 2 * (r.Width + r.Height);
            var d = area * UnclipRatio / perimeter;
            var grown = r with { Width = r.Width + 2 * d, Height = r.Height + 2 * d };
            if (Math.Min(grown.Width, grown.Height) < MinSide) continue;
            boxes.Add(new TextBox(new RotatedBox(grown.CenterX * sx, grown.CenterY * sy, grown.Width * sx, grown.Height * sy, grown.Angle), score));
        }
        return boxes;
    }

    /// <summary>Mean probability over the contour's bounding box pixels that lie inside the contour's polygon.</summary>
    private static float MeanInside(ReadOnlySpan<float> prob, int w, int h, (int X, int Y)[] contour)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = 0, y1 = 0;
        foreach (var (x, y) in contour) { x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y); }
        double sum = 0;
        var n = 0;
        for (var y = y0; y <= y1 && y < h; y++)
            for (var x = x0; x <= x1 && x < w; x++)
                if (Geometry.Inside(contour, x, y)) { sum += prob[y * w + x]; n++; }
        return n == 0 ? 0 : (float)(sum / n);
    }

    public void Dispose() => _session.Dispose();
}
