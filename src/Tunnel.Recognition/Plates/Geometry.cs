using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

internal static class Geometry
{
    /// <summary>Corners of a rotated box clockwise from top-left, with the longer side taken as horizontal.</summary>
    public static (float X, float Y)[] Corners(RotatedBox b)
    {
        var rad = b.Angle * Math.PI / 180;
        float cos = (float)Math.Cos(rad), sin = (float)Math.Sin(rad);
        // Half-axes along the box's width and height directions.
        var wx = cos * b.Width / 2; var wy = sin * b.Width / 2;
        var hx = -sin * b.Height / 2; var hy = cos * b.Height / 2;
        var pts = new (float X, float Y)[]
        {
            (b.CenterX - wx - hx, b.CenterY - wy - hy),
            (b.CenterX + wx - hx, b.CenterY + wy - hy),
            (b.CenterX + wx + hx, b.CenterY + wy + hy),
            (b.CenterX - wx + hx, b.CenterY - wy + hy),
        };
        return OrderClockwiseLongSideTop(pts);
    }

    /// <summary>Orders 4 points as top-left, top-right, bottom-right, bottom-left so the top edge is the longer one.</summary>
    public static (float X, float Y)[] OrderClockwiseLongSideTop((float X, float Y)[] p)
    {
        // Sort by x, split left pair / right pair, each ordered by y.
        var s = p.OrderBy(q => q.X).ToArray();
        var left = s[..2].OrderBy(q => q.Y).ToArray();
        var right = s[2..].OrderBy(q => q.Y).ToArray();
        (float X, float Y)[] r = [left[0], right[0], right[1], left[1]];
        var top = Dist(r[0], r[1]);
        var side = Dist(r[1], r[2]);
        // A box standing on its short side (steep text) is rotated so the text reads left to right.
        return top >= side ? r : [r[3], r[0], r[1], r[2]];
    }

    public static float Dist((float X, float Y) a, (float X, float Y) b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    public static bool Inside((int X, int Y)[] poly, int x, int y)
    {
        var inside = false;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
        {
            var (xi, yi) = poly[i];
            var (xj, yj) = poly[j];
            if ((yi > y) != (yj > y) && x < (double)(xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    }
}
