using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>The outline a hazard sign can have.</summary>
internal enum SignShape { Rectangle, Diamond, TriangleUp }

/// <summary>Where a candidate outline came from: a colour mask (which colour) or the edge map.</summary>
internal enum ShapeSource { Orange, Red, Yellow, Green, Blue, Edges }

/// <summary>
/// A polygon that may be a sign, in working-image pixels: a rectangle as top-left, top-right, bottom-right,
/// bottom-left; a diamond as top, right, bottom, left; a triangle as apex, right base, left base.
/// </summary>
internal sealed record ShapeCandidate(SignShape Shape, ShapeSource Source, (float X, float Y)[] Corners, double Area);

/// <summary>
/// Finds sign-shaped outlines: solid regions of a sign colour (orange panels, red, yellow, green and blue
/// placards, amber roof lamps) and closed edges (white or black-and-white placards on any body), each reduced
/// to its convex hull and simplified (Douglas-Peucker) to the few corners a sign has. Only outlines that are
/// nearly their polygon (a sign is a flat, convex plate) and of a plausible size are kept.
/// </summary>
internal static class HazmatShapes
{
    /// <summary>A sign smaller than this (pixels, working image) is too small to check its structure.</summary>
    public const int MinSide = 14;
    // Hue ranges in OpenCV's 0-180 scale. Orange (GB 13392 panel, class 1) stops below plates' yellow (20-34).
    private static readonly (ShapeSource Source, double[] Low, double[] High)[] Colours =
    [
        (ShapeSource.Orange, [5, 140, 110], [18, 255, 255]),
        (ShapeSource.Yellow, [18, 120, 120], [34, 255, 255]),
        (ShapeSource.Green, [38, 100, 60], [85, 255, 255]),
        (ShapeSource.Blue, [95, 120, 60], [128, 255, 255]),
    ];
    // At most this many outlines per source, largest first: the cost of checking stays bounded in busy scenes.
    private const int MaxPerSource = 12;

    public static List<ShapeCandidate> Find(Mat bgr, Mat hsv)
    {
        var found = new List<ShapeCandidate>();
        var (w, h) = (bgr.Width, bgr.Height);
        foreach (var (source, low, high) in Colours)
        {
            using var mask = Cv.InRange(hsv, low, high);
            AddFromMask(found, mask, source, w, h);
        }
        found.AddRange(JoinedHalves(found));
        // Red wraps around hue 0: both ends, joined.
        using (var red = RedMask(hsv)) AddFromMask(found, red, ShapeSource.Red, w, h);
        using (var edges = Cv.Canny(bgr, 60, 160))
        using (var thick = Cv.Morphology(edges, MorphOp.Dilate, MorphShape.Rect, 3, 3))
            AddOutlines(found, Cv.FindContours(thick, ContourMode.List), ShapeSource.Edges, w, h, diamondsOnly: true);
        return found;
    }

    /// <summary>
    /// A numbered panel's dividing line can be wider than the closing bridges: its two orange halves then come
    /// as two rectangles of about the same width, one just above the other. Joined, they are the panel.
    /// </summary>
    private static IEnumerable<ShapeCandidate> JoinedHalves(List<ShapeCandidate> found)
    {
        var halves = found.Where(c => c.Source == ShapeSource.Orange && c.Shape == SignShape.Rectangle).ToArray();
        foreach (var a in halves)
            foreach (var b in halves)
            {
                if (ReferenceEquals(a, b)) continue;
                var (wa, wb) = (Geometry.Dist(a.Corners[0], a.Corners[1]), Geometry.Dist(b.Corners[0], b.Corners[1]));
                var ha = Geometry.Dist(a.Corners[0], a.Corners[3]);
                var (aBottom, bTop) = ((a.Corners[2].Y + a.Corners[3].Y) / 2, (b.Corners[0].Y + b.Corners[1].Y) / 2);
                var (ac, bc) = ((a.Corners[0].X + a.Corners[1].X) / 2, (b.Corners[0].X + b.Corners[1].X) / 2);
                if (Math.Abs(wa - wb) > 0.25 * Math.Max(wa, wb) || Math.Abs(ac - bc) > 0.2 * wa) continue;
                if (bTop - aBottom < -2 || bTop - aBottom > 0.4 * ha) continue;
                yield return new ShapeCandidate(SignShape.Rectangle, ShapeSource.Orange, [a.Corners[0], a.Corners[1], b.Corners[2], b.Corners[3]], a.Area + b.Area);
            }
    }

    private static void AddFromMask(List<ShapeCandidate> found, Mat mask, ShapeSource source, int w, int h)
    {
        // Closing bridges the panel's thin black dividing line, sensor noise and the placard's inset border;
        // symbols and digits are holes the outer contour ignores.
        using var closed = Cv.Morphology(mask, MorphOp.Close, MorphShape.Rect, 3, 5);
        AddOutlines(found, Cv.FindContours(closed), source, w, h, diamondsOnly: false);
    }

    private static Mat RedMask(Mat hsv)
    {
        using var low = Cv.InRange(hsv, [0, 120, 70], [5, 255, 255]);
        using var high = Cv.InRange(hsv, [170, 120, 70], [180, 255, 255]);
        // Each Mat property is a native call: read them once, not per pixel.
        var (w, h, lowStep, highStep) = (low.Width, low.Height, low.Step, high.Step);
        var a = low.Bytes;
        var b = high.Bytes;
        var joined = new byte[h * w];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                joined[y * w + x] = (byte)(a[y * lowStep + x] | b[y * highStep + x]);
        return Mat.Create(h, w, Mat.Type8UC1, joined);
    }

    private static void AddOutlines(List<ShapeCandidate> found, IReadOnlyList<(int X, int Y)[]> contours, ShapeSource source,
        int w, int h, bool diamondsOnly)
    {
        var kept = 0;
        foreach (var c in contours.Where(c => c.Length >= 4).Select(c => (Points: c, Box: Bounds(c)))
                     .Where(c => c.Box.W >= MinSide && c.Box.H >= MinSide && c.Box.W <= 0.6 * w && c.Box.H <= 0.6 * h)
                     .OrderByDescending(c => c.Box.W * c.Box.H))
        {
            if (kept >= MaxPerSource) break;
            // Only a square-ish box can hold a diamond: most edge outlines end here, before any hull is computed.
            if (diamondsOnly && (c.Box.W > 1.7 * c.Box.H || c.Box.H > 1.7 * c.Box.W)) continue;
            if (Classify(c.Points, source, diamondsOnly) is not { } shape) continue;
            found.Add(shape);
            kept++;
        }
    }

    private static (int W, int H) Bounds((int X, int Y)[] c) =>
        (c.Max(p => p.X) - c.Min(p => p.X) + 1, c.Max(p => p.Y) - c.Min(p => p.Y) + 1);

    /// <summary>The sign shape the outline is, if any: triangle, 45° square, or upright rectangle.</summary>
    private static ShapeCandidate? Classify((int X, int Y)[] contour, ShapeSource source, bool diamondsOnly)
    {
        var hull = Cv.ConvexHull(contour);
        if (hull.Length < 3) return null;
        var hullArea = Area(hull);
        // A sign is solid: its outline fills nearly all of its hull (a car body with mirrors, a shadow, do not).
        if (hullArea < MinSide * MinSide / 2.0 || Area(contour) < 0.85 * hullArea) return null;
        var poly = Cv.ApproxPolyDP(hull, 0.04 * Perimeter(hull));
        if (Area(poly) < 0.9 * hullArea) return null;
        var pts = poly.Select(p => ((float)p.X, (float)p.Y)).ToArray();
        return pts.Length switch
        {
            4 when IsDiamond(pts) is { } d => new ShapeCandidate(SignShape.Diamond, source, d, hullArea),
            4 when !diamondsOnly && IsUprightRectangle(pts) is { } r => new ShapeCandidate(SignShape.Rectangle, source, r, hullArea),
            3 when !diamondsOnly && IsTriangleUp(pts) is { } t => new ShapeCandidate(SignShape.TriangleUp, source, t, hullArea),
            _ => null,
        };
    }

    /// <summary>Four corners near 90° with equal sides whose diagonals are near vertical and horizontal (a square on its point).</summary>
    private static (float X, float Y)[]? IsDiamond((float X, float Y)[] p)
    {
        var top = p.MinBy(q => q.Y); var bottom = p.MaxBy(q => q.Y);
        var left = p.MinBy(q => q.X); var right = p.MaxBy(q => q.X);
        (float X, float Y)[] d = [top, right, bottom, left];
        if (d.Distinct().Count() != 4) return null;
        if (!RightAngled(d, 25)) return null;
        var sides = Sides(d);
        if (sides.Max() > 1.4 * sides.Min()) return null;
        // Sides at 45° ± 20° (a vehicle's roll and the camera's view tilt a sign a little).
        for (var i = 0; i < 4; i++)
        {
            var a = EdgeAngle(d[i], d[(i + 1) % 4]) % 90;
            if (Math.Abs(a - 45) > 20) return null;
        }
        return d;
    }

    /// <summary>Four corners near 90° with sides near horizontal and vertical.</summary>
    private static (float X, float Y)[]? IsUprightRectangle((float X, float Y)[] p)
    {
        var tl = p.MinBy(q => q.X + q.Y); var br = p.MaxBy(q => q.X + q.Y);
        var tr = p.MaxBy(q => q.X - q.Y); var bl = p.MinBy(q => q.X - q.Y);
        (float X, float Y)[] r = [tl, tr, br, bl];
        if (r.Distinct().Count() != 4 || !RightAngled(r, 25)) return null;
        for (var i = 0; i < 4; i++)
        {
            var a = EdgeAngle(r[i], r[(i + 1) % 4]) % 90;
            if (Math.Min(a, 90 - a) > 25) return null;
        }
        return r;
    }

    /// <summary>An apex above a near-level base, sides within 40 % of each other (the roof lamp's triangle).</summary>
    private static (float X, float Y)[]? IsTriangleUp((float X, float Y)[] p)
    {
        var byY = p.OrderBy(q => q.Y).ToArray();
        var apex = byY[0];
        var (b1, b2) = (byY[1], byY[2]);
        var (bl, br) = b1.X < b2.X ? (b1, b2) : (b2, b1);
        var baseLength = Geometry.Dist(bl, br);
        if (Math.Abs(br.Y - bl.Y) > 0.25 * baseLength) return null;
        if (apex.X <= bl.X || apex.X >= br.X) return null;
        (float X, float Y)[] t = [apex, br, bl];
        var sides = new[] { Geometry.Dist(apex, br), baseLength, Geometry.Dist(bl, apex) };
        if (sides.Max() > 1.4 * sides.Min()) return null;
        return t;
    }

    private static bool RightAngled((float X, float Y)[] q, double tolerance)
    {
        for (var i = 0; i < 4; i++)
        {
            var (a, b, c) = (q[(i + 3) % 4], q[i], q[(i + 1) % 4]);
            var (ux, uy, vx, vy) = (a.X - b.X, a.Y - b.Y, c.X - b.X, c.Y - b.Y);
            var cos = (ux * vx + uy * vy) / Math.Sqrt((ux * ux + uy * uy) * (vx * vx + vy * vy) + 1e-9);
            if (Math.Abs(Math.Acos(Math.Clamp(cos, -1, 1)) * 180 / Math.PI - 90) > tolerance) return false;
        }
        return true;
    }

    private static double[] Sides((float X, float Y)[] q) =>
        Enumerable.Range(0, q.Length).Select(i => (double)Geometry.Dist(q[i], q[(i + 1) % q.Length])).ToArray();

    /// <summary>Direction of an edge in degrees, 0-180.</summary>
    private static double EdgeAngle((float X, float Y) a, (float X, float Y) b)
    {
        var deg = Math.Atan2(b.Y - a.Y, b.X - a.X) * 180 / Math.PI;
        return deg < 0 ? deg + 180 : deg;
    }

    public static double Area(IReadOnlyList<(int X, int Y)> p)
    {
        var s = 0.0;
        for (var i = 0; i < p.Count; i++)
        {
            var (a, b) = (p[i], p[(i + 1) % p.Count]);
            s += (double)a.X * b.Y - (double)b.X * a.Y;
        }
        return Math.Abs(s) / 2;
    }

    private static double Perimeter(IReadOnlyList<(int X, int Y)> p)
    {
        var s = 0.0;
        for (var i = 0; i < p.Count; i++)
        {
            var (a, b) = (p[i], p[(i + 1) % p.Count]);
            s += Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2));
        }
        return s;
    }
}
