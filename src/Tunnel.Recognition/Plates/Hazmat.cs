using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// Hazardous-goods signs that the project can see: the words 危险 / 危险品 / 危 (GB 13392's marking and the
/// roof lamp's text) read by the same OCR, and orange-yellow GB 13392 panels by colour and shape.
/// Diamond placards (class pictograms) are not recognised: that needs a trained detector.
/// </summary>
public static class Hazmat
{
    /// <summary>Confidence that a free (unconstrained) reading is a hazmat sign.</summary>
    public static double FromText(string text)
    {
        if (text.Contains("危险")) return 0.95;
        if (text.Contains('危') || text.Contains("险品")) return 0.7;
        return 0;
    }

    /// <summary>
    /// Largest orange, plate-shaped region (GB 13392 rectangular panel, roughly 2:1) relative to the image, or
    /// 0. Orange is hue 5-18 in OpenCV's 0-180 scale at high saturation, which plates' yellow (20-34) is not.
    /// </summary>
    public static double OrangePanelScore(Mat bgr)
    {
        using var hsv = Cv.CvtColor(bgr, ColorConversion.BgrToHsv);
        using var mask = Cv.InRange(hsv, [5, 150, 120], [18, 255, 255]);
        using var closed = Cv.Morphology(mask, MorphOp.Close, MorphShape.Rect, 5, 5);
        var best = 0.0;
        foreach (var c in Cv.FindContours(closed))
        {
            if (c.Length < 4) continue;
            var r = Cv.MinAreaRect(c);
            var (l, s) = (Math.Max(r.Width, r.Height), Math.Min(r.Width, r.Height));
            if (s < 12 || l / s is < 1.5f or > 3.5f) continue;
            best = Math.Max(best, Math.Min(1, s / 30.0));
        }
        return best;
    }
}
