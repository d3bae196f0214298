using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// Where a scene is plate-coloured (blue, yellow, green backgrounds), on a downscaled copy: how much of any
/// box is plate-coloured (summed-area tables, so each query is four look-ups), and the plate-shaped
/// coloured regions themselves, which find plates the text detector misses or only half boxes.
/// </summary>
internal sealed class ColourMap
{
    // OpenCV HSV (hue 0-180). Saturation and value floors keep grey road, white cars and shadows out.
    private static readonly (double[] Low, double[] High)[] Ranges =
    [
        ([100, 90, 50], [125, 255, 255]), // blue
        ([12, 80, 80], [34, 255, 255]),   // yellow
        ([35, 50, 80], [90, 255, 255]),   // green
    ];

    private readonly int _w, _h;
    private readonly float _scale;
    private readonly int[][] _sums;
    private readonly List<(float X, float Y)[]> _regions = [];

    private ColourMap(SceneThumbnail thumbnail)
    {
        _scale = (float)thumbnail.Scale;
        var hsv = thumbnail.Hsv;
        (_w, _h) = (hsv.Width, hsv.Height);
        _sums = new int[Ranges.Length][];
        // The closing kernel bridges the white characters that cut a plate's background into pieces.
        var kw = Math.Max(3, (int)Math.Round(9 * _w / 800.0));
        for (var c = 0; c < Ranges.Length; c++)
        {
            using var mask = Cv.InRange(hsv, Ranges[c].Low, Ranges[c].High);
            _sums[c] = Integral(mask);
            using var closed = Cv.Morphology(mask, MorphOp.Close, MorphShape.Rect, kw, Math.Max(3, kw / 3));
            foreach (var contour in Cv.FindContours(closed))
            {
                if (contour.Length < 4) continue;
                var r = Cv.MinAreaRect(contour);
                var (lw, sw) = (Math.Max(r.Width, r.Height), Math.Min(r.Width, r.Height));
                // Single-row plates are 440x140 mm (3.1:1), double-row ones 440x220 (2:1); blurred or partly lit,
                // anywhere from 1.5:1 to 6:1.
                if (sw < 8 * _scale || sw < 5 || lw / sw is < 1.5f or > 6f) continue;
                _regions.Add(Geometry.Corners(r with
                {
                    CenterX = r.CenterX / _scale, CenterY = r.CenterY / _scale, Width = r.Width / _scale, Height = r.Height / _scale,
                }));
            }
        }
    }

    public static ColourMap Of(SceneThumbnail thumbnail) => new(thumbnail);

    /// <summary>Plate-shaped regions of one plate colour, in scene pixels (corners clockwise from top-left).</summary>
    public IReadOnlyList<(float X, float Y)[]> Regions => _regions;

    /// <summary>The largest share of one plate colour inside the quad's bounding box (0 to 1).</summary>
    public double Fill(ReadOnlySpan<(float X, float Y)> quad)
    {
        float x0 = float.MaxValue, y0 = float.MaxValue, x1 = float.MinValue, y1 = float.MinValue;
        foreach (var (x, y) in quad) { x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y); }
        var ax = Math.Clamp((int)(x0 * _scale), 0, _w);
        var ay = Math.Clamp((int)(y0 * _scale), 0, _h);
        var bx = Math.Clamp((int)Math.Ceiling(x1 * _scale), 0, _w);
        var by = Math.Clamp((int)Math.Ceiling(y1 * _scale), 0, _h);
        var area = (bx - ax) * (by - ay);
        if (area <= 0) return 0;
        var best = 0;
        foreach (var s in _sums)
        {
            var n = s[by * (_w + 1) + bx] - s[ay * (_w + 1) + bx] - s[by * (_w + 1) + ax] + s[ay * (_w + 1) + ax];
            best = Math.Max(best, n);
        }
        return (double)best / area;
    }

    /// <summary>Summed-area table of a 0/255 mask: entry (y, x) counts set pixels above and left of it.</summary>
    private static int[] Integral(Mat mask)
    {
        var (w, h, step) = (mask.Width, mask.Height, mask.Step);
        var px = mask.Bytes;
        var s = new int[(w + 1) * (h + 1)];
        for (var y = 0; y < h; y++)
        {
            var row = 0;
            for (var x = 0; x < w; x++)
            {
                if (px[y * step + x] != 0) row++;
                s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1] + row;
            }
        }
        return s;
    }
}
