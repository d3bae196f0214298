using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// Cameras burn the date and time into photos in white, sometimes across a plate, and the recogniser reads the
/// stamp's digits as more characters of the plate. A yellow plate's ink is black, so white on it is never a
/// character (only a stamp or glare) and can be painted over in the plate's own colour before reading.
/// </summary>
internal static class StampedOverlay
{
    /// <summary>
    /// A copy of <paramref name="plateBgr"/> whose white pixels take the mean colour of its yellow ones, when yellow
    /// is its main plate colour; otherwise null, the plate to be read as it is (white is the ink of blue, green and
    /// black plates).
    /// </summary>
    public static Mat? EraseOnYellowPlate(Mat plateBgr)
    {
        using var hsv = Cv.CvtColor(plateBgr, ColorConversion.BgrToHsv);
        var f = PlateColorClassifier.FractionsOfHsv(hsv);
        if (f.Yellow < 0.1 || f.Yellow < f.Blue || f.Yellow < f.Green) return null;
        // Mat.Step is a native call: read once, not per pixel.
        var (w, h, bgrStep, hsvStep) = (plateBgr.Cols, plateBgr.Rows, plateBgr.Step, hsv.Step);
        var px = new byte[w * h * 3];
        var src = plateBgr.Bytes;
        var hp = hsv.Bytes;
        for (var y = 0; y < h; y++) src.Slice(y * bgrStep, w * 3).CopyTo(px.AsSpan(y * w * 3));
        var white = new List<int>();
        var (b, g, r, n) = (0L, 0L, 0L, 0L);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var (hi, pi) = (y * hsvStep + 3 * x, (y * w + x) * 3);
                int hue = hp[hi], sat = hp[hi + 1], val = hp[hi + 2];
                if (PlateColorClassifier.IsYellow(hue, sat, val)) { b += px[pi]; g += px[pi + 1]; r += px[pi + 2]; n++; }
                else if (PlateColorClassifier.IsWhite(sat, val)) white.Add(pi);
            }
        }
        foreach (var pi in white) (px[pi], px[pi + 1], px[pi + 2]) = ((byte)(b / n), (byte)(g / n), (byte)(r / n));
        return Mat.Create(h, w, Mat.Type8UC3, px);
    }
}
