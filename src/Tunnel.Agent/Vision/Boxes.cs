using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Vision;

/// <summary>Rectangle arithmetic the tracker needs.</summary>
internal static class Boxes
{
    public static PixelBox Intersect(PixelBox a, PixelBox b)
    {
        var x = Math.Max(a.X, b.X);
        var y = Math.Max(a.Y, b.Y);
        var r = Math.Min(a.Right, b.Right);
        var btm = Math.Min(a.Bottom, b.Bottom);
        return r <= x || btm <= y ? default : new PixelBox(x, y, r - x, btm - y);
    }

    public static PixelBox Union(PixelBox a, PixelBox b)
    {
        var x = Math.Min(a.X, b.X);
        var y = Math.Min(a.Y, b.Y);
        return new PixelBox(x, y, Math.Max(a.Right, b.Right) - x, Math.Max(a.Bottom, b.Bottom) - y);
    }

    public static double IntersectionOverUnion(PixelBox a, PixelBox b)
    {
        var i = Intersect(a, b).Area;
        return i == 0 ? 0 : (double)i / (a.Area + b.Area - i);
    }

    /// <summary>Share of <paramref name="inner"/> that lies within <paramref name="outer"/>.</summary>
    public static double Covered(PixelBox inner, PixelBox outer) => inner.Area == 0 ? 0 : (double)Intersect(inner, outer).Area / inner.Area;

    public static PixelBox Shift(PixelBox b, int dx, int dy) => b with { X = b.X + dx, Y = b.Y + dy };

    public static PixelBox Grow(PixelBox b, double fraction, int minimum = 0)
    {
        var dx = Math.Max(minimum, (int)Math.Round(b.Width * fraction));
        var dy = Math.Max(minimum, (int)Math.Round(b.Height * fraction));
        return new PixelBox(b.X - dx, b.Y - dy, b.Width + 2 * dx, b.Height + 2 * dy);
    }
}
