using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>The recogniser's input lines: rectified plate regions, padded crops, and the two rows of a double-row plate side by side.</summary>
internal static class LineImages
{
    /// <summary>Warps a quadrilateral, grown by the given fractions of its height, to an upright image <paramref name="outH"/> px high.</summary>
    public static Mat Rectify(Mat scene, (float X, float Y)[] q, float growX, float growY, int outH = TextRecognizer.InputHeight)
    {
        var w = Geometry.Dist(q[0], q[1]);
        var h = Geometry.Dist(q[1], q[2]);
        var ux = ((q[1].X - q[0].X) / w, (q[1].Y - q[0].Y) / w);
        var uy = ((q[3].X - q[0].X) / h, (q[3].Y - q[0].Y) / h);
        var gx = growX * h;
        var gy = growY * h;
        (float, float) Move((float X, float Y) p, float sx, float sy) => (p.X + sx * gx * ux.Item1 + sy * gy * uy.Item1, p.Y + sx * gx * ux.Item2 + sy * gy * uy.Item2);
        (float, float)[] grown = [Move(q[0], -1, -1), Move(q[1], 1, -1), Move(q[2], 1, 1), Move(q[3], -1, 1)];
        var outW = Math.Max(16, (int)Math.Round(outH * (w + 2 * gx) / (h + 2 * gy)));
        return Cv.WarpPerspective(scene, grown, outW, outH, Interpolation.Linear);
    }

    /// <summary>
    /// A margin around a tight crop: the recogniser was trained on text lines with some background, and
    /// reads a province character touching the left edge poorly.
    /// </summary>
    public static Mat Pad(Mat line)
    {
        var mx = Math.Max(2, line.Height / 4);
        (float, float)[] quad = [(-mx, 0), (line.Width + mx, 0), (line.Width + mx, line.Height), (-mx, line.Height)];
        return Cv.WarpPerspective(line, quad, line.Width + 2 * mx, line.Height);
    }

    public static Mat Concat(Mat left, Mat right)
    {
        var h = left.Height;
        var w = left.Width + right.Width;
        var px = new byte[h * w * 3];
        void Blit(Mat m, int x0)
        {
            var src = m.Bytes;
            for (var y = 0; y < h; y++) src.Slice(y * m.Step, m.Width * 3).CopyTo(px.AsSpan((y * w + x0) * 3));
        }
        Blit(left, 0);
        Blit(right, left.Width);
        return Mat.Create(h, w, Mat.Type8UC3, px);
    }
}
