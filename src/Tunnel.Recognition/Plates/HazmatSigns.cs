using System.Text.RegularExpressions;
using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>The hazardous-goods markings of GB 13392 that <see cref="HazmatSigns"/> recognises.</summary>
public enum HazmatSignKind
{
    /// <summary>Orange-yellow reflective rectangle with a black border, often split by a black line between hazard and UN numbers.</summary>
    OrangePanel,
    /// <summary>Diamond placard (a square on its point) of a class colour, with its symbol and class number.</summary>
    Placard,
    /// <summary>Amber triangular roof lamp (older vehicles) or a 危险品 light bar, read by the OCR.</summary>
    RoofLamp,
}

/// <summary>One sign seen: its kind, how sure, its corners in the input image and any text read on it.</summary>
public sealed record HazmatSign(HazmatSignKind Kind, double Confidence, IReadOnlyList<(float X, float Y)> Corners, string? Text = null);

/// <summary>The signs seen in an image and the combined confidence that the vehicle carries hazardous goods.</summary>
public sealed record HazmatFinding(double Confidence, IReadOnlyList<HazmatSign> Signs)
{
    public static HazmatFinding None { get; } = new(0, []);
    public bool IsHazmat => Confidence >= HazmatSigns.Threshold;
}

/// <summary>
/// Recognises GB 13392 hazard markings by shape, colour and structure, without a trained detector: sign-shaped
/// outlines (<see cref="HazmatShapes"/>) are rectified and checked for what the standard prescribes. An orange
/// panel is a uniform orange rectangle inside a black border, scored higher with the black dividing line and
/// digit ink in both halves, and highest when the recogniser reads a hazard number over a four-digit UN number. A
/// placard is a square on its point, mostly one class colour (or white, or white over black) with a contrasting
/// symbol, higher with its inset border line. A roof lamp counts only when the recogniser reads 危险 on it: yellow
/// warning-sign triangles look the same otherwise. Signs of different kinds add up (noisy OR), so two weak
/// sightings of different signs can together decide.
/// </summary>
public sealed partial class HazmatSigns(TextRecognizer? recognizer = null, CtcDecoder? decoder = null)
{
    /// <summary>Combined confidence at or above which a vehicle is reported as hazmat.</summary>
    public const double Threshold = 0.5;
    // The OCR is the costly part: at most this many regions are read per image, largest first.
    private const int MaxTextReads = 3;
    // A sign is at most ~0.4 m on a vehicle at least 1.8 m wide: larger orange or coloured regions are bodies.
    private const double MaxSignWidthShare = 0.45;

    private readonly TextRecognizer? _recognizer = recognizer;
    private readonly CtcDecoder? _decoder = decoder ?? (recognizer is null ? null : new CtcDecoder(recognizer.Dictionary));

    /// <summary>Combines per-kind confidences: the chance that at least one sighting is right, taking each at its word.</summary>
    public static double Combine(IEnumerable<double> confidences) =>
        1 - confidences.Aggregate(1.0, (miss, c) => miss * (1 - Math.Clamp(c, 0, 1)));

    /// <summary>Looks for hazard signs anywhere in a BGR image (a vehicle crop or a scene photo).</summary>
    public HazmatFinding Detect(Mat bgr)
    {
        using var thumbnail = SceneThumbnail.Of(bgr);
        return Detect(bgr, thumbnail);
    }

    /// <summary>Looks for hazard signs in <paramref name="bgr"/>, searching its thumbnail and reading text at full resolution.</summary>
    internal HazmatFinding Detect(Mat bgr, SceneThumbnail thumbnail)
    {
        var (work, hsv, scale) = (thumbnail.Bgr, thumbnail.Hsv, thumbnail.Scale);
        var signs = new List<HazmatSign>();
        var textReads = 0;
        foreach (var c in HazmatShapes.Find(work, hsv).OrderByDescending(c => c.Area))
        {
            if (Width(c.Corners) > MaxSignWidthShare * work.Width) continue;
            var sign = c.Shape switch
            {
                SignShape.Diamond => CheckPlacard(work, c),
                SignShape.Rectangle when c.Source == ShapeSource.Orange => CheckPanel(work, bgr, scale, c, ref textReads)
                                                                           ?? CheckTextSign(bgr, scale, c, ref textReads),
                SignShape.Rectangle when c.Source is ShapeSource.Yellow or ShapeSource.Red => CheckTextSign(bgr, scale, c, ref textReads),
                SignShape.TriangleUp when c.Source is ShapeSource.Yellow or ShapeSource.Orange => CheckRoofLamp(work, bgr, scale, c, ref textReads),
                _ => null,
            };
            if (sign is null) continue;
            signs.Add(sign with { Corners = sign.Corners.Select(p => ((float)(p.X / scale), (float)(p.Y / scale))).ToArray() });
        }
        if (signs.Count == 0) return HazmatFinding.None;
        var confidence = Combine(signs.GroupBy(s => s.Kind).Select(g => g.Max(s => s.Confidence)));
        return new HazmatFinding(confidence, signs.OrderByDescending(s => s.Confidence).ToArray());
    }

    // ------------------------------------------------------------------ orange panel

    private HazmatSign? CheckPanel(Mat work, Mat original, double scale, ShapeCandidate c, ref int textReads)
    {
        var q = c.Corners;
        var aspect = Width(q) / Height(q);
        // 400 x 300 mm (4:3); a camera looking down shortens it, so wider is allowed.
        if (aspect is < 1.0 or > 2.6) return null;
        // The quad is the orange area; a 25 % margin around it holds the black border.
        const double g = 1.25;
        var ink = InkMap.Of(work, Grow(q, g), 96, (int)Math.Clamp(96 / aspect, 32, 96));
        const double m = (1 - 1 / g) / 2; // where the orange area begins in the map
        var inner = (x0: m + 0.04, y0: m + 0.04, x1: 1 - m - 0.04, y1: 1 - m - 0.04);
        var orange = ink.Share(inner.x0, inner.y0, inner.x1, inner.y1, i => i == Ink.Orange);
        var dark = ink.Share(inner.x0, inner.y0, inner.x1, inner.y1, i => i == Ink.Dark);
        // Uniform orange apart from the black digits and line.
        if (orange < 0.4 || orange / Math.Max(0.01, 1 - dark) < 0.75) return null;

        // The black border: a dark band just outside each side of the orange area, on (nearly) all of each side.
        double[] border =
        [
            ink.DarkCoverage(true, 0.01, m + 0.03), ink.DarkCoverage(true, 1 - m - 0.03, 0.99),
            ink.DarkCoverage(false, 0.01, m + 0.03), ink.DarkCoverage(false, 1 - m - 0.03, 0.99),
        ];
        if (border.Count(b => b >= 0.7) < 3 || border.Min() < 0.4) return null;

        // A plain bordered orange board alone is weak: an orange part on a dark body looks the same.
        var confidence = 0.45;
        // The dividing line may blur to grey: anything but orange across the middle counts; digits must be black.
        var line = ink.DarkCoverage(true, 0.42, 0.58, isLine: i => i != Ink.Orange);
        var topInk = ink.Share(inner.x0, inner.y0, inner.x1, 0.42, i => i == Ink.Dark);
        var bottomInk = ink.Share(inner.x0, 0.58, inner.x1, inner.y1, i => i == Ink.Dark);
        string? text = null;
        if (line >= 0.8 && topInk is > 0.015 and < 0.5 && bottomInk is > 0.015 and < 0.5)
        {
            confidence = 0.75;
            // Hazard identification number (2-3 digits, maybe an X) over the UN number (4 digits).
            var top = ReadText(original, Scale(Sub(q, 0.03, 0.0, 0.97, 0.5), 1 / scale), ref textReads);
            var bottom = ReadText(original, Scale(Sub(q, 0.03, 0.5, 0.97, 1.0), 1 / scale), ref textReads);
            var hazard = top is not null && HazardNumber().IsMatch(Alnum(top));
            var un = bottom is not null && UnNumber().IsMatch(Alnum(bottom));
            if (hazard || un) text = $"{Alnum(top ?? "")}/{Alnum(bottom ?? "")}";
            confidence += (hazard ? 0.1 : 0) + (un ? 0.12 : 0);
        }
        return new HazmatSign(HazmatSignKind.OrangePanel, confidence, q, text);
    }

    [GeneratedRegex("^X?[2-9][0-9]{1,2}$")]
    private static partial Regex HazardNumber();

    [GeneratedRegex("^[0-9]{4}$")]
    private static partial Regex UnNumber();

    private static string Alnum(string s) => new(s.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant).ToArray());

    // ------------------------------------------------------------------ diamond placard

    private static readonly Ink[] PlacardGrounds = [Ink.Red, Ink.Orange, Ink.Yellow, Ink.Green, Ink.Blue, Ink.White];

    private static HazmatSign? CheckPlacard(Mat work, ShapeCandidate c)
    {
        // Top, right, bottom, left map to the corners of an upright square: the content turns 45°, which
        // shares do not mind, and the placard's edges become the map's edges.
        var ink = InkMap.Of(work, c.Corners, 48, 48);
        var shares = PlacardGrounds.ToDictionary(i => i, i => ink.Share(0.12, 0.12, 0.88, 0.88, x => x == i));
        var dark = ink.Share(0.12, 0.12, 0.88, 0.88, x => x == Ink.Dark);
        var (ground, groundShare) = shares.MaxBy(kv => kv.Value);
        // White placards (toxic, corrosive over black) have no colour of their own: only their black parts tell them from a white body.
        if (groundShare < (ground == Ink.White ? 0.25 : 0.35)) return null;
        var symbol = ink.Share(0.12, 0.12, 0.88, 0.88, x => x != ground && x != Ink.Other);
        if (symbol is < 0.04 or > 0.7) return null;
        // White placards (toxic, corrosive over black, red-striped flammable solid) have no colour of their own:
        // only black or red parts tell them from a white body, and a white square on its point is less distinctive.
        var whiteMarked = dark >= 0.08 || shares[Ink.Red] >= 0.2;
        if (ground == Ink.White && !whiteMarked) return null;
        var confidence = ground == Ink.White ? 0.4 : 0.5;
        // The inset border line, 12.5 mm inside a 250 mm placard's edge, in the symbol's colour: contrast near every edge.
        if (InsetLine(ink, ground) >= 3) confidence += 0.25;
        return new HazmatSign(HazmatSignKind.Placard, confidence, c.Corners);
    }

    /// <summary>How many of the four edges carry a line of another colour than the ground just inside them.</summary>
    private static int InsetLine(InkMap ink, Ink ground)
    {
        bool Contrast(Ink i) => i != ground && i != Ink.Other;
        var sides = 0;
        for (var side = 0; side < 4; side++)
        {
            var (covered, n) = (0, 0);
            for (var a = (int)(0.2 * ink.Width); a < (int)(0.8 * ink.Width); a++, n++)
            {
                for (var d = 1; d <= (int)(0.11 * ink.Width); d++)
                {
                    var (x, y) = side switch { 0 => (a, d), 1 => (ink.Width - 1 - d, a), 2 => (a, ink.Height - 1 - d), _ => (d, a) };
                    if (!Contrast(ink[x, y])) continue;
                    covered++;
                    break;
                }
            }
            if (covered >= 0.75 * n) sides++;
        }
        return sides;
    }

    // ------------------------------------------------------------------ roof lamp and text signs

    private HazmatSign? CheckRoofLamp(Mat work, Mat original, double scale, ShapeCandidate c, ref int textReads)
    {
        var t = c.Corners; // apex, right base, left base
        var (x0, x1) = (t.Min(p => p.X), t.Max(p => p.X));
        var (y0, y1) = (t.Min(p => p.Y), t.Max(p => p.Y));
        (float X, float Y)[] box = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
        var ink = InkMap.Of(work, box, 64, 56);
        var amber = ink.Share(0.3, 0.45, 0.7, 0.95, i => i is Ink.Yellow or Ink.Orange);
        var letters = ink.Share(0.3, 0.45, 0.7, 0.95, i => i == Ink.Dark);
        if (amber < 0.3 || letters < 0.04) return null;
        // 危险 is written across the lower part of the triangle.
        var text = ReadText(original, Scale(Sub(box, 0.16, 0.42, 0.84, 0.97), 1 / scale), ref textReads);
        var said = text is null ? 0 : Hazmat.FromText(text);
        return said <= 0 ? null : new HazmatSign(HazmatSignKind.RoofLamp, said, t, text);
    }

    /// <summary>An amber, orange or red rectangle that may be a 危险品 sign or light bar: only its reading decides.</summary>
    private HazmatSign? CheckTextSign(Mat original, double scale, ShapeCandidate c, ref int textReads)
    {
        var aspect = Width(c.Corners) / Height(c.Corners);
        if (aspect is < 1.6 or > 6) return null;
        var text = ReadText(original, Scale(c.Corners, 1 / scale), ref textReads);
        var said = text is null ? 0 : Hazmat.FromText(text);
        return said <= 0 ? null : new HazmatSign(HazmatSignKind.RoofLamp, said, c.Corners, text);
    }

    /// <summary>Free reading (no plate grammar) of a quadrilateral, within the per-image budget; null without a recogniser.</summary>
    private string? ReadText(Mat image, (float X, float Y)[] quad, ref int textReads)
    {
        if (_recognizer is null || _decoder is null || textReads >= MaxTextReads) return null;
        textReads++;
        var h = Math.Max(1, Height(quad));
        var width = (int)Math.Clamp(Math.Round(TextRecognizer.InputHeight * Width(quad) / h), 16, 320);
        using var line = Cv.WarpPerspective(image, quad, width, TextRecognizer.InputHeight);
        using var padded = LineImages.Pad(line);
        var output = _recognizer.Run(padded, 320);
        return _decoder.Greedy(output.Probabilities, output.Frames, output.Classes).Text;
    }

    // ------------------------------------------------------------------ quadrilaterals

    private static double Width((float X, float Y)[] q) => q.Length == 4
        ? (Geometry.Dist(q[0], q[1]) + Geometry.Dist(q[3], q[2])) / 2.0
        : q.Max(p => p.X) - q.Min(p => p.X);

    private static double Height((float X, float Y)[] q) => q.Length == 4
        ? (Geometry.Dist(q[0], q[3]) + Geometry.Dist(q[1], q[2])) / 2.0
        : q.Max(p => p.Y) - q.Min(p => p.Y);

    /// <summary>The quadrilateral scaled about its centroid.</summary>
    private static (float X, float Y)[] Grow((float X, float Y)[] q, double factor)
    {
        var (cx, cy) = (q.Average(p => p.X), q.Average(p => p.Y));
        return q.Select(p => ((float)(cx + (p.X - cx) * factor), (float)(cy + (p.Y - cy) * factor))).ToArray();
    }

    private static (float X, float Y)[] Scale((float X, float Y)[] q, double factor) =>
        q.Select(p => ((float)(p.X * factor), (float)(p.Y * factor))).ToArray();

    /// <summary>Part [u0, u1] x [v0, v1] of a quadrilateral (top-left, top-right, bottom-right, bottom-left), by bilinear interpolation.</summary>
    private static (float X, float Y)[] Sub((float X, float Y)[] q, double u0, double v0, double u1, double v1)
    {
        (float X, float Y) At(double u, double v)
        {
            var top = (X: q[0].X + (q[1].X - q[0].X) * u, Y: q[0].Y + (q[1].Y - q[0].Y) * u);
            var bottom = (X: q[3].X + (q[2].X - q[3].X) * u, Y: q[3].Y + (q[2].Y - q[3].Y) * u);
            return ((float)(top.X + (bottom.X - top.X) * v), (float)(top.Y + (bottom.Y - top.Y) * v));
        }
        return [At(u0, v0), At(u1, v0), At(u1, v1), At(u0, v1)];
    }
}
