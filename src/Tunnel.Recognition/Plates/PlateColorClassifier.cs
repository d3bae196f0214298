using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// Plate colour. Where GA 36 fixes it the text decides: 8 characters are new-energy green, 港 澳 领 black,
/// 学 and 挂 yellow, 警 white. An ordinary 7-character plate is blue (light characters on a dark ground)
/// or yellow (dark characters on a light ground): the characters' polarity decides, which survives the
/// colour casts of night, sodium and infrared light that move hues far out of their ranges; hue only
/// breaks a tie. Other text falls back to the HSV shares.
/// </summary>
public static class PlateColorClassifier
{
    public static (PlateColor Color, double Confidence) Classify(Mat plateBgr, string? text = null) => Classify(plateBgr, text, tight: true);

    /// <param name="tight">
    /// The image is the plate and little else (a crop): polarity is then the better witness. A region found in a
    /// scene also holds bumper and body around the plate, which blurs polarity, so hue weighs more there.
    /// </param>
    public static (PlateColor Color, double Confidence) Classify(Mat plateBgr, string? text, bool tight)
    {
        if (text is { Length: 8 }) return (PlateColor.Green, 0.9);
        switch (text is { Length: 7 } ? PlateGrammar.Suffix(text) : null)
        {
            case "港" or "澳" or "领": return (PlateColor.Black, 0.9);
            case "学" or "挂": return (PlateColor.Yellow, 0.9);
            case "警": return (PlateColor.White, 0.9);
        }
        var f = Fractions(plateBgr);
        if (text is { Length: 7 } && PlateGrammar.IsValid(text)) return BlueOrYellow(plateBgr, tight);
        return FromFractions(f);
    }

    /// <summary>True when the image has enough of some plate colour to be a plate rather than a sign or a date stamp.</summary>
    public static bool LooksLikePlate(ColorFractions f) =>
        Math.Max(f.Blue, Math.Max(f.Yellow, f.Green)) >= 0.10 || f.White >= 0.3 || f.Black >= 0.3;

    private static (PlateColor, double) FromFractions(ColorFractions f)
    {
        var best = new[] { (PlateColor.Blue, f.Blue), (PlateColor.Yellow, f.Yellow), (PlateColor.Green, f.Green) }.MaxBy(c => c.Item2);
        // White characters cover much of a blue plate, so a modest share of plate colour is decisive.
        if (best.Item2 >= 0.10) return (best.Item1, Math.Min(1, 0.5 + best.Item2));
        if (f.White >= f.Black && f.White >= 0.3) return (PlateColor.White, 0.5 + f.White / 2);
        if (f.Black >= 0.3) return (PlateColor.Black, 0.5 + f.Black / 2);
        return (PlateColor.Unknown, 0);
    }

    private static (PlateColor, double) BlueOrYellow(Mat plateBgr, bool tight)
    {
        // Positive: light characters (blue plate). Characters cover about a third of a plate's character band.
        var polarity = 0.5 - BrightShare(plateBgr);
        var (blue, yellow) = HueShares(plateBgr);
        // Blue-ish against yellow-ish pixels in [-1, 1], shrunk towards 0 when few pixels are coloured at all.
        var hue = (blue - yellow) / Math.Max(0.1, blue + yellow);
        var score = tight ? polarity * 4 + hue * 0.5 : polarity + hue * 1.5;
        return score >= 0 ? (PlateColor.Blue, Math.Min(1, 0.5 + score / 2)) : (PlateColor.Yellow, Math.Min(1, 0.5 - score / 2));
    }

    /// <summary>
    /// Shares of blue-ish and yellow-ish saturated pixels, with the ranges stretched the way colour casts move them:
    /// a yellow plate under greenish light drifts to hue 40-55, a blue one under warm light to violet.
    /// </summary>
    private static (double Blue, double Yellow) HueShares(Mat plateBgr)
    {
        using var hsv = Cv.CvtColor(plateBgr, ColorConversion.BgrToHsv);
        var px = hsv.Bytes;
        var step = hsv.Step;
        int blue = 0, yellow = 0, n = 0;
        for (var y = 0; y < hsv.Rows; y++)
        {
            var row = px.Slice(y * step, hsv.Cols * 3);
            for (var x = 0; x < row.Length; x += 3)
            {
                int h = row[x], s = row[x + 1], v = row[x + 2];
                n++;
                if (s >= 50 && v >= 40 && h is >= 88 and <= 140) blue++;
                else if (s >= 60 && v >= 60 && h is >= 11 and <= 55) yellow++;
            }
        }
        return n == 0 ? (0, 0) : ((double)blue / n, (double)yellow / n);
    }

    /// <summary>Share of the central band's pixels above the band's Otsu level (in 0-1).</summary>
    private static double BrightShare(Mat plateBgr)
    {
        using var gray = Cv.CvtColor(plateBgr, ColorConversion.BgrToGray);
        var (w, h, step) = (gray.Width, gray.Height, gray.Step);
        var px = gray.Bytes;
        var hist = new int[256];
        int y0 = h / 5, y1 = h - h / 5, x0 = w / 20, x1 = w - w / 20, n = 0;
        for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++) { hist[px[y * step + x]]++; n++; }
        if (n == 0) return 0.5;
        var level = Otsu(hist, n);
        var above = 0;
        for (var v = level + 1; v < 256; v++) above += hist[v];
        return (double)above / n;
    }

    private static int Otsu(int[] hist, int n)
    {
        double sum = 0;
        for (var v = 0; v < 256; v++) sum += v * (double)hist[v];
        double sumB = 0, best = -1;
        int wB = 0, level = 127;
        for (var v = 0; v < 256; v++)
        {
            wB += hist[v];
            if (wB == 0) continue;
            var wF = n - wB;
            if (wF == 0) break;
            sumB += v * (double)hist[v];
            var mB = sumB / wB;
            var mF = (sum - sumB) / wF;
            var between = (double)wB * wF * (mB - mF) * (mB - mF);
            if (between > best) { best = between; level = v; }
        }
        return level;
    }

    /// <summary>A yellow plate's background in OpenCV HSV (hue 0-180).</summary>
    internal static bool IsYellow(int h, int s, int v) => s >= 60 && v >= 60 && h is >= 11 and <= 34;

    /// <summary>White: unsaturated and bright (glare, white paint, white characters).</summary>
    internal static bool IsWhite(int s, int v) => s < 45 && v >= 150;

    public readonly record struct ColorFractions(double Blue, double Yellow, double Green, double White, double Black);

    /// <summary>Share of pixels in each plate colour's HSV range (OpenCV hue 0-180).</summary>
    public static ColorFractions Fractions(Mat plateBgr)
    {
        using var hsv = Cv.CvtColor(plateBgr, ColorConversion.BgrToHsv);
        return FractionsOfHsv(hsv);
    }

    /// <summary><see cref="Fractions"/> of a patch already converted to HSV.</summary>
    internal static ColorFractions FractionsOfHsv(Mat hsv)
    {
        var px = hsv.Bytes;
        var step = hsv.Step;
        int blue = 0, yellow = 0, green = 0, white = 0, black = 0, n = 0;
        for (var y = 0; y < hsv.Rows; y++)
        {
            var row = px.Slice(y * step, hsv.Cols * 3);
            for (var x = 0; x < row.Length; x += 3)
            {
                int h = row[x], s = row[x + 1], v = row[x + 2];
                n++;
                if (s >= 50 && v >= 40 && h is >= 88 and <= 130) blue++;
                else if (IsYellow(h, s, v)) yellow++;
                else if (s >= 45 && v >= 60 && h is >= 35 and <= 85) green++;
                else if (IsWhite(s, v)) white++;
                else if (v < 70) black++;
            }
        }
        return n == 0 ? default : new ColorFractions((double)blue / n, (double)yellow / n, (double)green / n, (double)white / n, (double)black / n);
    }
}
