using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// Plate colour from the rectified plate image's HSV pixels (the background dominates a plate), with the
/// plate text as a prior where GA 36 fixes the colour: 8 characters are new-energy green, 港 澳 领 black,
/// 学 and 挂 yellow, 警 white.
/// </summary>
public static class PlateColorClassifier
{
    public static (PlateColor Color, double Confidence) Classify(Mat plateBgr, string? text = null)
    {
        if (text is { Length: 8 }) return (PlateColor.Green, 0.9);
        switch (text is { Length: 7 } ? PlateGrammar.Suffix(text) : null)
        {
            case "港" or "澳" or "领": return (PlateColor.Black, 0.9);
            case "学" or "挂": return (PlateColor.Yellow, 0.9);
            case "警": return (PlateColor.White, 0.9);
        }
        var f = Fractions(plateBgr);
        var best = new[] { (PlateColor.Blue, f.Blue), (PlateColor.Yellow, f.Yellow), (PlateColor.Green, f.Green) }.MaxBy(c => c.Item2);
        // White characters cover much of a blue plate, so a modest share of plate colour is decisive.
        if (best.Item2 >= 0.10) return (best.Item1, Math.Min(1, 0.5 + best.Item2));
        if (f.White >= f.Black && f.White >= 0.3) return (PlateColor.White, 0.5 + f.White / 2);
        if (f.Black >= 0.3) return (PlateColor.Black, 0.5 + f.Black / 2);
        return (PlateColor.Unknown, 0);
    }

    public readonly record struct ColorFractions(double Blue, double Yellow, double Green, double White, double Black);

    /// <summary>Share of pixels in each plate colour's HSV range (OpenCV hue 0-180).</summary>
    public static ColorFractions Fractions(Mat plateBgr)
    {
        using var hsv = Cv.CvtColor(plateBgr, ColorConversion.BgrToHsv);
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
                else if (s >= 60 && v >= 60 && h is >= 11 and <= 34) yellow++;
                else if (s >= 45 && v >= 60 && h is >= 35 and <= 85) green++;
                else if (s < 45 && v >= 150) white++;
                else if (v < 70) black++;
            }
        }
        return n == 0 ? default : new ColorFractions((double)blue / n, (double)yellow / n, (double)green / n, (double)white / n, (double)black / n);
    }
}
