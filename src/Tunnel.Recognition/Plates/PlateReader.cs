using System.Diagnostics;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Models;
using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>The part of the frame where plates of the watched lane appear (pixels).</summary>
public readonly record struct RegionOfInterest(int X, int Y, int Width, int Height);

/// <summary>One plate read from an image.</summary>
public sealed record PlateResult
{
    public required string Text { get; init; }
    public required PlateColor Color { get; init; }
    public double ColorConfidence { get; init; }
    /// <summary>The weakest character's confidence: a plate is only as right as its worst character.</summary>
    public required double Confidence { get; init; }
    public required IReadOnlyList<double> CharConfidences { get; init; }
    /// <summary>Plate corners in the input image, clockwise from top-left.</summary>
    public required IReadOnlyList<(float X, float Y)> Box { get; init; }
    public VehicleClass VehicleClass { get; init; } = VehicleClass.Unknown;
    public double VehicleClassConfidence { get; init; }
    public bool Hazmat { get; init; }
    public double HazmatConfidence { get; init; }
    public bool DoubleRow { get; init; }
    /// <summary>How the plate was found: "text-detector", "colour" or "crop".</summary>
    public required string Method { get; init; }
    public double Milliseconds { get; init; }

    public PlateRead ToPlateRead() => new() { Text = Text, Color = Color, Confidence = Confidence, CharConfidences = CharConfidences };
}

public sealed record PlateReaderOptions
{
    /// <summary>Model folder; null finds it as <see cref="ModelStore.Open"/> does.</summary>
    public string? ModelsDirectory { get; init; }
    /// <summary>ONNX Runtime threads per model; 1 is the figure the targets are set for.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Longer side of the image fed to the text detector.</summary>
    public int DetectorMaxSide { get; init; } = 640;
    /// <summary>At most this many candidate regions are recognised per image, largest first.</summary>
    public int MaxCandidates { get; init; } = 6;
    /// <summary>How much worse (natural log) than the unconstrained reading a grammatical reading may be and still count as a plate.</summary>
    public double MaxGrammarPenalty { get; init; } = 12;
    /// <summary>
    /// Widest recogniser input (pixels at height 48). The recogniser's cost grows with width; a plate's seven
    /// characters read well down to about 128 px.
    /// </summary>
    public int RecognizerMaxWidth { get; init; } = 480;
}

/// <summary>
/// Finds and reads Chinese plates: PP-OCRv4 text detection (restricted to the lane's region) proposes text
/// lines, which are merged when the detector split a plate, paired when they are the two rows of a
/// double-row plate, rectified, read with the grammar-constrained decoder and filtered by plate colour,
/// shape and grammar; plate-coloured regions are the fallback when no text line reads as a plate.
/// Load once (models take ~100 ms), then call <see cref="Read(Mat, RegionOfInterest?)"/> per frame; one call at a time per instance.
/// </summary>
public sealed class PlateReader : IDisposable
{
    private readonly TextDetector _detector;
    private readonly TextRecognizer _recognizer;
    private readonly CtcDecoder _decoder;
    private readonly PlateReaderOptions _options;

    private PlateReader(TextDetector detector, TextRecognizer recognizer, PlateReaderOptions options)
    {
        _detector = detector;
        _recognizer = recognizer;
        _decoder = new CtcDecoder(recognizer.Dictionary);
        _options = options;
    }

    /// <summary>Loads and verifies the models. Throws <see cref="ModelFileException"/> with restore instructions if one is missing or corrupt.</summary>
    public static PlateReader Create(PlateReaderOptions? options = null)
    {
        options ??= new PlateReaderOptions();
        var store = ModelStore.Open(options.ModelsDirectory);
        var dictionary = new CharDictionary(store.PathOf("dictionary"));
        var detector = new TextDetector(store.PathOf("text-detector"), options.Threads);
        try
        {
            return new PlateReader(detector, new TextRecognizer(store.PathOf("text-recogniser"), dictionary, options.Threads), options);
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }

    public TextRecognizer Recognizer => _recognizer;
    public CtcDecoder Decoder => _decoder;

    /// <summary>Reads the most prominent plate in an encoded image (JPEG, PNG, ...).</summary>
    public PlateResult? Read(ReadOnlySpan<byte> encodedImage, RegionOfInterest? roi = null)
    {
        using var image = Cv.Decode(encodedImage);
        return Read(image, roi);
    }

    /// <summary>Reads the most prominent (largest) plate in a BGR frame, or null when none reads as a plate.</summary>
    public PlateResult? Read(Mat image, RegionOfInterest? roi = null)
    {
        var clock = Stopwatch.StartNew();
        Mat? cropped = null;
        try
        {
            var (ox, oy) = (0, 0);
            var scene = image;
            if (roi is { } r)
            {
                cropped = image.Crop(r.X, r.Y, r.Width, r.Height);
                scene = cropped;
                (ox, oy) = (Math.Max(0, r.X), Math.Max(0, r.Y));
            }
            var best = FromDetector(scene) ?? FromColour(scene);
            if (best is null) return null;
            var box = best.Box.Select(p => (p.X + ox, p.Y + oy)).ToArray();
            return best with { Box = box, Milliseconds = clock.Elapsed.TotalMilliseconds };
        }
        finally
        {
            cropped?.Dispose();
        }
    }

    /// <summary>Reads a tightly cropped plate image (no detection). Null when it does not read as a plate.</summary>
    public PlateResult? ReadCrop(Mat plate)
    {
        var clock = Stopwatch.StartNew();
        // Double-row plates are about 2:1 (trucks) or 1.6:1 (motorcycles); single-row ones 3:1 and wider.
        var doubleRow = plate.Width < 2.3 * plate.Height;
        var candidate = doubleRow ? ReadDoubleRow(plate) : ReadLine(plate, padded: true);
        if (candidate is null) return null;
        var (w, h) = (plate.Width, plate.Height);
        return Finish(candidate.Value, plate, [(0, 0), (w, 0), (w, h), (0, h)], "crop", doubleRow) with { Milliseconds = clock.Elapsed.TotalMilliseconds };
    }

    // Horizontal margin around a detected line, in line heights: room for a character the detector missed.
    private const float GrowX = 0.3f;

    private readonly record struct Reading(DecodedText Plate, DecodedText Free, double Penalty);

    /// <summary>Recognises one rectified text line and decodes it both freely and under the plate grammar.</summary>
    private Reading? ReadLine(Mat line, bool padded)
    {
        using var input = padded ? Pad(line) : null;
        var output = _recognizer.Run(input ?? line, _options.RecognizerMaxWidth);
        var free = _decoder.Greedy(output.Probabilities, output.Frames, output.Classes);
        var plate = _decoder.Constrained(output.Probabilities, output.Frames, output.Classes);
        if (plate is null) return null;
        return new Reading(plate, free, free.LogScore - plate.LogScore);
    }

    /// <summary>
    /// A margin around a tight crop: the recogniser was trained on text lines with some background, and
    /// reads a province character touching the left edge poorly.
    /// </summary>
    private static Mat Pad(Mat line)
    {
        var mx = Math.Max(2, line.Height / 4);
        (float, float)[] quad = [(-mx, 0), (line.Width + mx, 0), (line.Width + mx, line.Height), (-mx, line.Height)];
        return Cv.WarpPerspective(line, quad, line.Width + 2 * mx, line.Height);
    }

    /// <summary>Double-row plate: the top row (province + letter) and the bottom row side by side as one line.</summary>
    private Reading? ReadDoubleRow(Mat plate)
    {
        var split = (int)(plate.Height * 0.36);
        var (w, h) = (plate.Width, plate.Height);
        // The top row's two characters sit in the middle half of the width.
        using var top = Cv.WarpPerspective(plate, [(w * 0.18f, 0), (w * 0.82f, 0), (w * 0.82f, split), (w * 0.18f, split)], 96, 48);
        using var bottom = Cv.WarpPerspective(plate, [(0, split - 2), (w, split - 2), (w, h), (0, h)], (int)(48.0 * w / (h - split + 2)), 48);
        using var line = Concat(top, bottom);
        return ReadLine(line, padded: true);
    }

    private static Mat Concat(Mat left, Mat right)
    {
        var h = left.Height;
        var w = left.Width + right.Width;
        var px = new byte[h * w * 3];
        void Blit(Mat m, int x0)
        {
            var src = m.Bytes;
            for (var y = 0; y < h; y++) src.Slice(y * m.Step, m.Width * 3).CopyTo(px.AsSpan((y * w + x0) * 3));
        }
        Blit(left, 0);
        Blit(right, left.Width);
        return Mat.Create(h, w, Mat.Type8UC3, px);
    }

    private PlateResult Finish(Reading r, Mat plateImage, (float X, float Y)[] box, string method, bool doubleRow)
    {
        var text = r.Plate.Text;
        var (color, colorConf) = PlateColorClassifier.Classify(plateImage, text);
        var (cls, clsConf) = VehicleClassifier.FromPlate(text, color, doubleRow, plateImage.Width / (double)plateImage.Height);
        var hazmat = Hazmat.FromText(r.Free.Text);
        return new PlateResult
        {
            Text = text,
            Color = color,
            ColorConfidence = colorConf,
            Confidence = r.Plate.MinConfidence,
            CharConfidences = r.Plate.CharConfidences,
            Box = box,
            VehicleClass = cls,
            VehicleClassConfidence = clsConf,
            Hazmat = hazmat > 0.5,
            HazmatConfidence = hazmat,
            DoubleRow = doubleRow,
            Method = method,
        };
    }

    // ------------------------------------------------------------------ detection path

    private sealed record Candidate((float X, float Y)[] Quad, float Height, float Width, bool DoubleRow, (float X, float Y)[]? TopRow);

    private PlateResult? FromDetector(Mat scene)
    {
        var boxes = _detector.Detect(scene, _options.DetectorMaxSide);
        var lines = MergeSplitLines(boxes.Select(b => b.Corners()).ToList());
        var candidates = new List<Candidate>();
        foreach (var line in lines)
        {
            var q = line;
            var w = Geometry.Dist(q[0], q[1]);
            var h = Geometry.Dist(q[1], q[2]);
            // Single-row plate characters span about 410x90 mm: long and flat. A shorter box is usually a
            // plate the detector only half found (the province character apart), so it is widened to a
            // plate's proportions about its centre and the recogniser finds the characters inside.
            if (h < 8 || w / h is < 1.2f or > 9f) continue;
            if (w / h < 3.8f) q = Widen(q, 3.8f * h / w);
            candidates.Add(new Candidate(q, h, Geometry.Dist(q[0], q[1]), false, null));
        }
        candidates.AddRange(DoubleRowPairs(lines));
        PlateResult? best = null;
        var bestKey = double.NegativeInfinity;
        foreach (var c in candidates.OrderByDescending(c => c.Height * Math.Min(c.Width, c.Height * 6)).Take(_options.MaxCandidates))
        {
            var result = ReadCandidate(scene, c);
            if (result is null) continue;
            // The primary plate is the most prominent one: the largest readable plate in the lane.
            var key = c.Height * (result.Value.Plausible ? 1 : 0.001);
            if (key > bestKey)
            {
                bestKey = key;
                best = result.Value.Result;
            }
        }
        return best;
    }

    private (PlateResult Result, bool Plausible)? ReadCandidate(Mat scene, Candidate c)
    {
        if (c.DoubleRow)
        {
            using var top = Rectify(scene, c.TopRow!, 0.10f, 0.15f);
            using var bottom = Rectify(scene, c.Quad, 0.04f, 0.12f);
            using var line = Concat(top, bottom);
            var rd = ReadLine(line, padded: false);
            if (rd is not { } d || d.Penalty > _options.MaxGrammarPenalty) return null;
            using var colourPatch = Rectify(scene, c.Quad, 0.02f, 0.05f);
            var quad = new[] { c.TopRow![0], c.TopRow[1], c.Quad[2], c.Quad[3] };
            return (Finish(d, colourPatch, quad, "text-detector", true), d.Plate.MinConfidence > 0.3);
        }
        using var plate = Rectify(scene, c.Quad, GrowX, 0.12f);
        var r = ReadLine(plate, padded: false);
        if (r is not { } read || read.Penalty > _options.MaxGrammarPenalty) return null;
        using var patch = Rectify(scene, c.Quad, 0f, 0f);
        var result = Finish(read, patch, c.Quad, "text-detector", false);
        // A grammatical text line that is not plate-coloured is more likely a sign or a date stamp.
        var plausible = result.Color != PlateColor.Unknown && read.Plate.MinConfidence > 0.3;
        return (result, plausible);
    }

    private static (float X, float Y)[] Widen((float X, float Y)[] q, float factor)
    {
        var cx = (q[0].X + q[1].X + q[2].X + q[3].X) / 4;
        var cy = (q[0].Y + q[1].Y + q[2].Y + q[3].Y) / 4;
        (float, float) Scale((float X, float Y) p)
        {
            // Stretch along the top edge's direction only.
            var ux = (q[1].X - q[0].X) / Geometry.Dist(q[0], q[1]);
            var uy = (q[1].Y - q[0].Y) / Geometry.Dist(q[0], q[1]);
            var along = (p.X - cx) * ux + (p.Y - cy) * uy;
            return (p.X + (factor - 1) * along * ux, p.Y + (factor - 1) * along * uy);
        }
        return [Scale(q[0]), Scale(q[1]), Scale(q[2]), Scale(q[3])];
    }

    /// <summary>Warps a quadrilateral, grown by the given fractions of its height, to an upright line 48 px high.</summary>
    private static Mat Rectify(Mat scene, (float X, float Y)[] q, float growX, float growY)
    {
        var w = Geometry.Dist(q[0], q[1]);
        var h = Geometry.Dist(q[1], q[2]);
        var ux = ((q[1].X - q[0].X) / w, (q[1].Y - q[0].Y) / w);
        var uy = ((q[3].X - q[0].X) / h, (q[3].Y - q[0].Y) / h);
        var gx = growX * h;
        var gy = growY * h;
        (float, float) Move((float X, float Y) p, float sx, float sy) => (p.X + sx * gx * ux.Item1 + sy * gy * uy.Item1, p.Y + sx * gx * ux.Item2 + sy * gy * uy.Item2);
        (float, float)[] grown = [Move(q[0], -1, -1), Move(q[1], 1, -1), Move(q[2], 1, 1), Move(q[3], -1, 1)];
        var outH = 48;
        var outW = Math.Max(16, (int)Math.Round(outH * (w + 2 * gx) / (h + 2 * gy)));
        return Cv.WarpPerspective(scene, grown, outW, outH, Interpolation.Linear);
    }

    /// <summary>Joins boxes on one line separated by less than a character: the detector often splits 粤A | K9331 at the dot.</summary>
    private static List<(float X, float Y)[]> MergeSplitLines(List<(float X, float Y)[]> quads)
    {
        var items = quads.ToList();
        var merged = true;
        while (merged)
        {
            merged = false;
            for (var i = 0; i < items.Count && !merged; i++)
            for (var j = 0; j < items.Count && !merged; j++)
            {
                if (i == j) continue;
                var (a, b) = (items[i], items[j]);
                var ha = Geometry.Dist(a[1], a[2]);
                var hb = Geometry.Dist(b[1], b[2]);
                var cya = (a[0].Y + a[1].Y + a[2].Y + a[3].Y) / 4;
                var cyb = (b[0].Y + b[1].Y + b[2].Y + b[3].Y) / 4;
                var gap = Math.Min(b[0].X, b[3].X) - Math.Max(a[1].X, a[2].X);
                if (Math.Abs(ha - hb) > 0.35f * Math.Max(ha, hb) || Math.Abs(cya - cyb) > 0.4f * Math.Max(ha, hb)) continue;
                if (gap < -0.5f * ha || gap > 0.9f * Math.Max(ha, hb)) continue;
                if (b[0].X < a[0].X) continue;
                items[i] = [a[0], b[1], b[2], a[3]];
                items.RemoveAt(j);
                merged = true;
            }
        }
        return items;
    }

    /// <summary>Pairs a short upper line (province + letter) with a longer, taller line just below it.</summary>
    private static IEnumerable<Candidate> DoubleRowPairs(List<(float X, float Y)[]> lines)
    {
        foreach (var top in lines)
        foreach (var bottom in lines)
        {
            if (ReferenceEquals(top, bottom)) continue;
            var tw = Geometry.Dist(top[0], top[1]);
            var th = Geometry.Dist(top[1], top[2]);
            var bw = Geometry.Dist(bottom[0], bottom[1]);
            var bh = Geometry.Dist(bottom[1], bottom[2]);
            if (bh < 8 || bh < 1.05f * th || bh > 3f * th || tw > 0.9f * bw || tw < 0.25f * bw) continue;
            var tcx = (top[0].X + top[1].X) / 2;
            var bcx = (bottom[0].X + bottom[1].X) / 2;
            if (Math.Abs(tcx - bcx) > 0.25f * bw) continue;
            var gap = bottom[0].Y - top[3].Y;
            if (gap < -0.3f * th || gap > 0.8f * th) continue;
            if (bw / bh is < 1.8f or > 5.5f) continue;
            yield return new Candidate(bottom, bh + th, bw, true, top);
        }
    }

    // ------------------------------------------------------------------ colour fallback

    private PlateResult? FromColour(Mat scene)
    {
        var scale = Math.Min(1.0, 800.0 / Math.Max(scene.Width, scene.Height));
        using var small = Cv.Resize(scene, Math.Max(1, (int)(scene.Width * scale)), Math.Max(1, (int)(scene.Height * scale)));
        using var hsv = Cv.CvtColor(small, ColorConversion.BgrToHsv);
        var found = new List<(float X, float Y)[]>();
        foreach (var (lo, hi) in new (double[], double[])[]
                 {
                     ([100, 90, 60], [125, 255, 255]), // blue
                     ([12, 90, 90], [34, 255, 255]),   // yellow
                     ([35, 50, 80], [90, 255, 255]),   // green
                 })
        {
            using var mask = Cv.InRange(hsv, lo, hi);
            using var closed = Cv.Morphology(mask, MorphOp.Close, MorphShape.Rect, 9, 3);
            foreach (var contour in Cv.FindContours(closed))
            {
                if (contour.Length < 4) continue;
                var r = Cv.MinAreaRect(contour);
                var (lw, sw) = (Math.Max(r.Width, r.Height), Math.Min(r.Width, r.Height));
                if (sw < 10 || lw / sw is < 2f or > 6f) continue;
                var corners = Geometry.Corners(r with { CenterX = r.CenterX / (float)scale, CenterY = r.CenterY / (float)scale, Width = r.Width / (float)scale, Height = r.Height / (float)scale });
                found.Add(corners);
            }
        }
        PlateResult? best = null;
        var bestH = 0f;
        foreach (var q in found.OrderByDescending(q => Geometry.Dist(q[1], q[2])).Take(_options.MaxCandidates))
        {
            using var plate = Rectify(scene, q, 0.0f, 0.0f);
            var r = ReadLine(plate, padded: true);
            if (r is not { } read || read.Penalty > _options.MaxGrammarPenalty || read.Plate.MinConfidence < 0.2) continue;
            var h = Geometry.Dist(q[1], q[2]);
            if (h > bestH)
            {
                bestH = h;
                best = Finish(read, plate, q, "colour", false);
            }
        }
        return best;
    }

    public void Dispose()
    {
        _detector.Dispose();
        _recognizer.Dispose();
    }
}
