using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// A linear contrast stretch of a BGR plate crop for a second reading: the luminance between its 2nd and 98th
/// percentiles is spread over 0-255, with the same gain and offset on all three channels (so hue and the
/// characters' polarity stay). Dim, hazy and night crops use a fraction of the range; the recogniser's
/// per-pixel normalisation does not stretch them.
/// </summary>
internal static class ContrastStretch
{
    // Percentiles of luminance mapped to 0 and 255: a few specular or shadow pixels do not set the range.
    private const double LowShare = 0.02, HighShare = 0.98;
    // A crop whose range is already this wide (or nearly flat, below MinRange) is left alone.
    private const int FullRange = 200, MinRange = 16;

    /// <summary>The stretched copy, or null when the crop already spans most of the range (or holds no contrast to stretch).</summary>
    public static Mat? Apply(Mat bgr)
    {
        if (bgr.Channels != 3) return null;
        var (w, h, step) = (bgr.Width, bgr.Height, bgr.Step);
        var src = bgr.Bytes;
        var hist = new int[256];
        for (var y = 0; y < h; y++)
        {
            var row = src.Slice(y * step, w * 3);
            for (var x = 0; x < row.Length; x += 3) hist[(row[x] * 29 + row[x + 1] * 150 + row[x + 2] * 77) >> 8]++;
        }
        var (lo, hi) = (Percentile(hist, w * h, LowShare), Percentile(hist, w * h, HighShare));
        if (hi - lo >= FullRange || hi - lo < MinRange) return null;
        var gain = 255.0 / (hi - lo);
        return Cv.ConvertScale(bgr, gain, -lo * gain);
    }

    private static int Percentile(int[] hist, int n, double share)
    {
        var target = share * n;
        var seen = 0;
        for (var v = 0; v < 256; v++)
        {
            seen += hist[v];
            if (seen >= target) return v;
        }
        return 255;
    }
}
