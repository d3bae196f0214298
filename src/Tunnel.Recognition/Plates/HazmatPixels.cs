using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>What a pixel of a sign is: its background colour, or the black or white of its symbol, digits and border.</summary>
internal enum Ink : byte { Other, Dark, White, Red, Orange, Yellow, Green, Blue }

/// <summary>
/// A sign rectified to a small upright image, each pixel labelled with its <see cref="Ink"/>: the structure
/// checks (a black border, a dividing line, a symbol on a uniform ground) count labels in parts of it.
/// </summary>
internal sealed class InkMap
{
    private readonly Ink[] _ink;
    public int Width { get; }
    public int Height { get; }

    private InkMap(Ink[] ink, int width, int height) => (_ink, Width, Height) = (ink, width, height);

    public Ink this[int x, int y] => _ink[y * Width + x];

    /// <summary>Warps <paramref name="quad"/> (four corners) of <paramref name="bgr"/> to width x height and labels it.</summary>
    public static InkMap Of(Mat bgr, (float X, float Y)[] quad, int width, int height)
    {
        using var patch = Cv.WarpPerspective(bgr, quad, width, height);
        using var hsv = Cv.CvtColor(patch, ColorConversion.BgrToHsv);
        var px = hsv.Bytes;
        var step = hsv.Step; // a native call: once, not per pixel
        var ink = new Ink[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var o = y * step + 3 * x;
                ink[y * width + x] = Label(px[o], px[o + 1], px[o + 2]);
            }
        return new InkMap(ink, width, height);
    }

    /// <summary>HSV (OpenCV scale: H 0-180) to a label. Thresholds leave washed-out and mid-grey pixels as Other.</summary>
    public static Ink Label(byte h, byte s, byte v)
    {
        if (v < 75) return Ink.Dark;
        if (s < 50) return v > 150 ? Ink.White : Ink.Other;
        if (s < 110 || v < 80) return Ink.Other;
        return h switch
        {
            < 5 or >= 170 => Ink.Red,
            < 18 => Ink.Orange,
            < 35 => Ink.Yellow,
            < 86 => Ink.Green,
            < 131 => Ink.Blue,
            _ => Ink.Other,
        };
    }

    /// <summary>Share of the pixels in the rectangle [x0, x1) x [y0, y1) (fractions of the size) that pass <paramref name="test"/>.</summary>
    public double Share(double x0, double y0, double x1, double y1, Func<Ink, bool> test, Func<int, int, bool>? inside = null)
    {
        var (n, hit) = (0, 0);
        for (var y = (int)(y0 * Height); y < (int)Math.Ceiling(y1 * Height); y++)
            for (var x = (int)(x0 * Width); x < (int)Math.Ceiling(x1 * Width); x++)
            {
                if (x < 0 || y < 0 || x >= Width || y >= Height || (inside is not null && !inside(x, y))) continue;
                n++;
                if (test(this[x, y])) hit++;
            }
        return n == 0 ? 0 : (double)hit / n;
    }

    /// <summary>
    /// How much of a line runs dark: the share of positions along it (between fractions <paramref name="from"/>
    /// and <paramref name="to"/>) where some pixel across the band [<paramref name="b0"/>, <paramref name="b1"/>) is dark.
    /// Horizontal lines run along x with the band in y; vertical ones the other way.
    /// </summary>
    public double DarkCoverage(bool horizontal, double b0, double b1, double from = 0.15, double to = 0.85, Func<Ink, bool>? isLine = null)
    {
        isLine ??= i => i == Ink.Dark;
        var (along, across) = horizontal ? (Width, Height) : (Height, Width);
        var (a0, a1) = ((int)(from * along), (int)(to * along));
        var (c0, c1) = (Math.Max(0, (int)Math.Floor(b0 * across)), Math.Min(across, (int)Math.Ceiling(b1 * across)));
        if (a1 <= a0 || c1 <= c0) return 0;
        var covered = 0;
        for (var a = a0; a < a1; a++)
        {
            for (var c = c0; c < c1; c++)
            {
                if (!isLine(horizontal ? this[a, c] : this[c, a])) continue;
                covered++;
                break;
            }
        }
        return (double)covered / (a1 - a0);
    }
}
