using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// How much a rectified region looks like a line of characters before the recogniser is asked: across a
/// plate's character band, strokes alternate with background many times (seven characters, two edges or more
/// each), while a car body, a window or a light stays flat. Otsu's threshold separates ink from ground
/// whatever the plate's colours and light.
/// </summary>
internal static class CharacterStrokes
{
    /// <summary>The median number of ink/ground changes along the rows of the middle band (40 % of the height).</summary>
    public static int Transitions(Mat lineBgr)
    {
        // The band alone sets the threshold: a bright bumper or dark shadow above or below would take it over.
        var (lw, lh) = (lineBgr.Width, lineBgr.Height);
        using var band = lineBgr.Crop(lw / 20, (int)(0.3 * lh), lw - lw / 10, (int)(0.4 * lh));
        using var gray = Cv.CvtColor(band, ColorConversion.BgrToGray);
        using var binary = Cv.Threshold(gray, 0, 255, ThresholdType.Binary | ThresholdType.Otsu, out _);
        var (w, h, step) = (binary.Width, binary.Height, binary.Step);
        var px = binary.Bytes;
        var counts = new int[h];
        for (var y = 0; y < h; y++)
            for (var x = 1; x < w; x++)
                if (px[y * step + x] != px[y * step + x - 1]) counts[y]++;
        Array.Sort(counts);
        return h == 0 ? 0 : counts[h / 2];
    }
}
