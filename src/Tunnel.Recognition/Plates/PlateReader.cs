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
    /// <summary>
    /// Longer side of the image fed to the text detector when the first pass found no clean plate. Distant plates
    /// (70 px wide in an 800 px photo) are found only near full resolution; few scenes need this pass.
    /// </summary>
    public int DetectorMaxSide { get; init; } = 800;
    /// <summary>Longer side of the detector's first, cheaper pass (its cost grows with the area); at or above <see cref="DetectorMaxSide"/> there is one pass.</summary>
    public int DetectorFirstPassMaxSide { get; init; } = 480;
    /// <summary>At most this many candidate regions are recognised per detector pass, most plate-like first.</summary>
    public int MaxCandidates { get; init; } = 4;
    /// <summary>How much worse (natural log) than the unconstrained reading a grammatical reading may be and still count as a plate.</summary>
    public double MaxGrammarPenalty { get; init; } = 12;
    /// <summary>
    /// Widest recogniser input (pixels at height 48). The recogniser's cost grows with width; a plate's seven
    /// characters read well down to about 128 px.
    /// </summary>
    public int RecognizerMaxWidth { get; init; } = 480;
    /// <summary>Also look for GB 13392 hazard signs anywhere in the image (<see cref="HazmatSigns"/>) when a plate was read.</summary>
    public bool DetectHazmatSigns { get; init; } = true;
}

/// <summary>
/// Finds and reads Chinese plates. Candidates come from plate-coloured regions with character strokes in them,
/// read first, and, when none of those reads cleanly, from PP-OCRv4 text detection (restricted to the lane's
/// region; a cheap pass first, the full size only when it found no plausible plate), whose lines the coloured
/// regions around them complete with the characters a detector box left out. They are read most plate-like first
/// (size times plate-colour fill), with the grammar-constrained decoder; the largest plausible reading wins,
/// and once one reads cleanly nothing smaller is read. A region about 2:1 is tried as a double-row plate; a
/// reading of a serial alone is retried with the box extended to the left, where the province should be.
/// Load once (models take ~100 ms), then call <see cref="Read(Mat, RegionOfInterest?)"/> per frame; one call at a time per instance.
/// </summary>
public sealed class PlateReader : IDisposable
{
    private readonly TextDetector _detector;
    private readonly TextRecognizer _recognizer;
    private readonly CtcDecoder _decoder;
    private readonly PlateReaderOptions _options;
    private readonly HazmatSigns _signs;

    /// <summary>Diagnostics for tuning sessions: each candidate and its readings, as text. Null in production.</summary>
    internal static Action<string>? Trace { get; set; }

    private PlateReader(TextDetector detector, TextRecognizer recognizer, PlateReaderOptions options)
    {
        _detector = detector;
        _recognizer = recognizer;
        _decoder = new CtcDecoder(recognizer.Dictionary);
        _options = options;
        _signs = new HazmatSigns(recognizer, _decoder);
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
            using var thumbnail = SceneThumbnail.Of(scene);
            var best = FromScene(scene, thumbnail);
            if (best is null) return null;
            var box = best.Box.Select(p => (p.X + ox, p.Y + oy)).ToArray();
            // The signs are anywhere on the vehicle (panel, placards, roof lamp), not only near the plate.
            var hazmat = Math.Max(best.HazmatConfidence, _options.DetectHazmatSigns ? _signs.Detect(scene, thumbnail).Confidence : 0);
            return best with
            {
                Box = box, Hazmat = hazmat >= HazmatSigns.Threshold, HazmatConfidence = hazmat,
                Milliseconds = clock.Elapsed.TotalMilliseconds,
            };
        }
        finally
        {
            cropped?.Dispose();
        }
    }

    /// <summary>GB 13392 hazard signs anywhere in a BGR image, read with this reader's recogniser (also when no plate is legible).</summary>
    public HazmatFinding DetectHazmat(Mat image) => _signs.Detect(image);

    /// <summary>Reads a tightly cropped plate image (no detection). Null when it does not read as a plate.</summary>
    public PlateResult? ReadCrop(Mat plate)
    {
        var clock = Stopwatch.StartNew();
        // Double-row plates are about 2:1 (trucks) or 1.6:1 (motorcycles); single-row ones 3:1 and wider.
        var doubleRow = plate.Width < 2.3 * plate.Height;
        var candidate = doubleRow ? ReadDoubleRow(plate) : ReadLine(plate, padded: true, _options.RecognizerMaxWidth);
        if (doubleRow && plate.Width >= LooseSingleRowAspect * plate.Height
            && ReadLine(plate, padded: true, _options.RecognizerMaxWidth) is { } single && single.Penalty <= _options.MaxGrammarPenalty
            && (candidate is null || single.Plate.MeanConfidence > candidate.Value.Plate.MeanConfidence))
        {
            Trace?.Invoke($"  loose single-row crop {single.Plate.Text} over {candidate?.Plate.Text}");
            (candidate, doubleRow) = (single, false);
        }
        if (candidate is null) return null;
        if (!doubleRow) candidate = StretchedLook(plate, candidate.Value);
        var (w, h) = (plate.Width, plate.Height);
        return Finish(candidate.Value, plate, [(0, 0), (w, 0), (w, h), (0, h)], "crop", doubleRow) with { Milliseconds = clock.Elapsed.TotalMilliseconds };
    }

    // A crop between a truck's double-row plate (2:1) and a single-row plate (3:1 and wider) may be either: a single-row
    // plate cropped with room above and below reads as one line, and more surely so than split into rows (the split
    // cuts through its characters). Such crops are read both ways; below this aspect, a motorcycle's plate (1.6:1), only as double-row.
    private const double LooseSingleRowAspect = 1.7;
    // A crop character below this is worth a second reading. Serial characters below it are wrong about one time in
    // three on plate-crops-dev (their confidence is the peak probability, which runs high: most right ones exceed 0.95).
    private const double UnsureCropCharacter = 0.7;

    /// <summary>
    /// The crop read again with its contrast stretched when a serial character is unsure: dim and hazy crops use part of
    /// the range, and a stroke that tells T from 1 or D from 0 is faint in them. Serial characters are fused by
    /// confidence (<see cref="ReadingFusion"/>), as the scenes' wider second look does; the province and the authority
    /// letter stay. One reading more on the unsure few (16 of the 602 dev crops); the others cost nothing.
    /// </summary>
    private Reading StretchedLook(Mat plate, Reading first)
    {
        if (first.Plate.CharConfidences.Skip(ReadingFusion.SerialStart).All(c => c >= UnsureCropCharacter)) return first;
        using var stretched = ContrastStretch.Apply(plate);
        if (stretched is null) return first;
        if (ReadLine(stretched, padded: true, _options.RecognizerMaxWidth) is not { } again || again.Penalty > _options.MaxGrammarPenalty) return first;
        var (text, confidences) = ReadingFusion.FuseSerial(first.Plate.Text, first.Plate.CharConfidences, again.Plate.Text, again.Plate.CharConfidences);
        Trace?.Invoke($"  stretched look {again.Plate.Text} -> {text}");
        return first with { Plate = first.Plate with { Text = text, CharConfidences = confidences } };
    }

    // Horizontal margin around a detected line, in line heights: room for a character the detector missed.
    private const float GrowX = 0.3f;
    // A plate line at height 48 with its margins is about 200 px wide; wider inputs are other text and cost time.
    private const int SceneLineMaxWidth = 256;

    private readonly record struct Reading(DecodedText Plate, DecodedText Free, double Penalty);

    /// <summary>Recognises one rectified text line and decodes it both freely and under the plate grammar.</summary>
    private Reading? ReadLine(Mat line, bool padded, int maxWidth, bool doubleRow = false)
    {
        using var input = padded ? LineImages.Pad(line) : null;
        var output = _recognizer.Run(input ?? line, Math.Min(maxWidth, _options.RecognizerMaxWidth));
        var free = _decoder.Greedy(output.Probabilities, output.Frames, output.Classes);
        var plate = _decoder.Constrained(output.Probabilities, output.Frames, output.Classes, doubleRow);
        if (plate is null) return null;
        return new Reading(plate, free, free.LogScore - plate.LogScore);
    }

    /// <summary>Double-row plate: the top row (province + letter) and the bottom row side by side as one line.</summary>
    private Reading? ReadDoubleRow(Mat plate)
    {
        var split = (int)(plate.Height * 0.36);
        var (w, h) = (plate.Width, plate.Height);
        // The top row's two characters sit in the middle half of the width.
        using var top = Cv.WarpPerspective(plate, [(w * 0.18f, 0), (w * 0.82f, 0), (w * 0.82f, split), (w * 0.18f, split)], 96, 48);
        using var bottom = Cv.WarpPerspective(plate, [(0, split - 2), (w, split - 2), (w, h), (0, h)], (int)(48.0 * w / (h - split + 2)), 48);
        // The bottom row's first character touches the plate's edge and follows the top row's last without a gap:
        // without a margin the recogniser merges or drops it, as it does a crop's province character.
        using var paddedBottom = LineImages.Pad(bottom);
        using var line = LineImages.Concat(top, paddedBottom);
        return ReadLine(line, padded: true, _options.RecognizerMaxWidth, doubleRow: true);
    }

    private PlateResult Finish(Reading r, Mat plateImage, (float X, float Y)[] box, string method, bool doubleRow)
    {
        var text = r.Plate.Text;
        var (color, colorConf) = PlateColorClassifier.Classify(plateImage, text, tight: method == "crop");
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
            Hazmat = hazmat >= HazmatSigns.Threshold,
            HazmatConfidence = hazmat,
            DoubleRow = doubleRow,
            Method = method,
        };
    }

    // ------------------------------------------------------------------ scenes

    /// <summary>A candidate's reading and how it ranks; <see cref="Line"/> is where a single-row plate was read, for a second look.</summary>
    private readonly record struct Scored(PlateResult Result, double Height, bool Plausible, bool Sure, LineSource? Line = null);

    private sealed record LineSource((float X, float Y)[] Quad, float GrowX, float GrowY);

    /// <summary>
    /// The detector costs as much as a few readings, and its cost grows with its input's area. Most plates are
    /// plate-coloured regions that read cleanly on their own, so those are read first; the detector runs only
    /// when none did, at the first pass's size, and at the full size only when that found no plausible plate.
    /// </summary>
    private PlateResult? FromScene(Mat scene, SceneThumbnail thumbnail)
    {
        var colours = ColourMap.Of(thumbnail);
        // Regions already read, and whether they read as a plate.
        var seen = new Dictionary<(float X, float Y)[], bool>(ReferenceEqualityComparer.Instance);
        var best = Search(scene, PlateCandidates.Find([], colours), seen, null, MaxColourOnlyReads, "colour");
        if (best is { Sure: true }) return best.Value.Result;
        var first = Math.Min(_options.DetectorFirstPassMaxSide, _options.DetectorMaxSide);
        best = Search(scene, Detect(scene, colours, first), seen, best, _options.MaxCandidates, $"side={first}");
        if (first < _options.DetectorMaxSide && best is not { Plausible: true })
            best = Search(scene, Detect(scene, colours, _options.DetectorMaxSide), seen, best, _options.MaxCandidates, $"side={_options.DetectorMaxSide}");
        return best is { } chosen ? SecondLook(scene, chosen) : null;
    }

    // Below this, a serial character of the chosen plate is worth a second look (a province character's confidence is often
    // near 0 on a right reading, and a wider read does not make it surer).
    private const double UnsureCharacter = 0.5;
    // The second look reads the line this much wider: more recogniser columns per character, as a crop gets.
    private const double SecondLookStretch = 1.3;

    /// <summary>
    /// The chosen single-row plate read again, stretched, when a serial character is unsure: letters the recogniser
    /// squeezes into look-alike digits (Z/2, W/8, Q/0) often come out right and sure with more columns. Serial
    /// characters are fused by confidence (<see cref="ReadingFusion"/>); the province and authority letter stay, the
    /// stretched read's are no surer for being wider. Only the winner is looked at again, so which plate is chosen
    /// does not change and the cost is one reading in the unsure scenes.
    /// </summary>
    private PlateResult SecondLook(Mat scene, Scored chosen)
    {
        var result = chosen.Result;
        if (chosen.Line is not { } line || result.CharConfidences.Skip(ReadingFusion.SerialStart).All(c => c >= UnsureCharacter)) return result;
        using var plate = LineImages.Rectify(scene, line.Quad, line.GrowX, line.GrowY);
        using var wide = Cv.Resize(plate, (int)(plate.Width * SecondLookStretch), plate.Height);
        var again = ReadLine(wide, padded: false, (int)(SceneLineMaxWidth * SecondLookStretch));
        if (again is not { } r || r.Penalty > _options.MaxGrammarPenalty) return result;
        var (text, confidences) = ReadingFusion.FuseSerial(result.Text, result.CharConfidences, r.Plate.Text, r.Plate.CharConfidences);
        Trace?.Invoke($"  second look {r.Plate.Text} -> {text}");
        return result with { Text = text, CharConfidences = confidences, Confidence = confidences.Min() };
    }

    // Without the detector's text lines, the region ranked first holds the plate in most scenes where any does; reading
    // on down the list costs more than the detector pass that would find it.
    private const int MaxColourOnlyReads = 3;

    private List<PlateCandidate> Detect(Mat scene, ColourMap colours, int detectorSide) =>
        PlateCandidates.Find(_detector.Detect(scene, detectorSide), colours);

    private Scored? Search(Mat scene, List<PlateCandidate> candidates, Dictionary<(float X, float Y)[], bool> seen, Scored? best, int maxReads, string pass)
    {
        Trace?.Invoke($" {pass} candidates={candidates.Count}");
        var read = 0;
        foreach (var candidate in candidates.OrderByDescending(c => c.Prior))
        {
            var c = candidate;
            // A colour region looks the same in every pass: read once, or, when it did not read as a plate, only the
            // detector line found in it.
            if (c.Kind == CandidateKind.ColourRegion && seen.TryGetValue(c.Quad, out var plausible))
            {
                if (plausible || c.Fallback is null) continue;
                c = new PlateCandidate(c.Fallback, Geometry.Dist(c.Fallback[1], c.Fallback[2]), CandidateKind.TextLine, c.Fill);
            }
            if (read >= maxReads) break;
            // The primary plate is the largest readable one: once a plate reads cleanly, only a clearly taller,
            // plate-coloured region could displace it, and nothing else is worth reading.
            if (best is { Sure: true } b && (c.Height < 1.2 * b.Height || c.Fill < 0.3)) continue;
            if (c is { Kind: CandidateKind.ColourRegion, Fallback: null } && !HasCharacterStrokes(scene, c.Quad))
                continue; // not marked seen: a later pass may find a detector line in it, read through the region then
            read++;
            var s = ReadCandidate(scene, c);
            seen[c.Quad] = s is { Plausible: true };
            Trace?.Invoke($"  {c.Kind} h={c.Height:0} fill={c.Fill:0.00} at=({c.Quad[0].X:0},{c.Quad[0].Y:0}) -> {s?.Result.Text} {s?.Result.Color} plaus={s?.Plausible} sure={s?.Sure} conf={s?.Result.Confidence:0.00}");
            if (s is not { } r) continue;
            if (best is null || Better(r, best.Value)) best = r;
        }
        return best;
    }

    /// <summary>A plausible plate beats an implausible one; between equals the taller (more prominent) one wins.</summary>
    private static bool Better(Scored a, Scored b) =>
        a.Plausible != b.Plausible ? a.Plausible : a.Height > b.Height;

    private Scored? ReadCandidate(Mat scene, PlateCandidate c)
    {
        switch (c.Kind)
        {
            case CandidateKind.DoubleRow:
            {
                using var top = LineImages.Rectify(scene, c.TopRow!, 0.10f, 0.15f);
                using var bottom = LineImages.Rectify(scene, c.Quad, 0.04f, 0.12f);
                using var line = LineImages.Concat(top, bottom);
                if (ReadLine(line, padded: false, SceneLineMaxWidth, doubleRow: true) is not { } d || d.Penalty > _options.MaxGrammarPenalty) return null;
                using var colourPatch = LineImages.Rectify(scene, c.Quad, 0.02f, 0.05f);
                var quad = new[] { c.TopRow![0], c.TopRow[1], c.Quad[2], c.Quad[3] };
                var result = Finish(d, colourPatch, quad, "text-detector", true);
                return Score(result, d, c.Height, colourPatch);
            }
            case CandidateKind.ColourRegion:
            {
                if (Geometry.Dist(c.Quad[0], c.Quad[1]) < 2.6f * c.Height && ReadDoubleRowRegion(scene, c) is { Plausible: true, Result.Confidence: > 0.3 } dr) return dr;
                var s = ReadSingle(scene, c.Quad, 0.12f, 0.06f, c.Height, c.Fallback is null ? "colour" : "text-detector");
                if (s is { Plausible: true } || c.Fallback is null) return s;
                var f = ReadSingle(scene, c.Fallback, GrowX, 0.12f, Geometry.Dist(c.Fallback[1], c.Fallback[2]), "text-detector");
                return f is { } fs && (s is null || Better(fs, s.Value)) ? fs : s;
            }
            default:
                return ReadSingle(scene, c.Quad, GrowX, 0.12f, c.Height, "text-detector");
        }
    }

    // A plate's seven characters change ink and ground at least twice each across the band; car bodies, windows and
    // lights in plate colours rarely more than a few times, and reading one costs as much as reading a plate.
    private const int MinStrokeTransitions = 8;

    /// <summary>Whether a plate-coloured region without a detected text line in it is worth the recogniser's time.</summary>
    private static bool HasCharacterStrokes(Mat scene, (float X, float Y)[] quad)
    {
        using var patch = LineImages.Rectify(scene, quad, 0.12f, 0.06f);
        var n = CharacterStrokes.Transitions(patch);
        Trace?.Invoke($"    strokes={n}");
        return n >= MinStrokeTransitions;
    }

    /// <summary>A plate-coloured region about twice as wide as high: a truck's or motorcycle's double-row plate.</summary>
    private Scored? ReadDoubleRowRegion(Mat scene, PlateCandidate c)
    {
        using var region = LineImages.Rectify(scene, c.Quad, 0.03f, 0.03f, 2 * TextRecognizer.InputHeight);
        // Double-row plates are yellow, and a scene's stamped date often runs across the bottom of the frame where they hang.
        using var erased = StampedOverlay.EraseOnYellowPlate(region);
        var plate = erased ?? region;
        if (ReadDoubleRow(plate) is not { } d || d.Penalty > _options.MaxGrammarPenalty) return null;
        return Score(Finish(d, plate, c.Quad, "colour", true), d, c.Height, plate);
    }

    private Scored? ReadSingle(Mat scene, (float X, float Y)[] quad, float growX, float growY, double height, string method)
    {
        var r = ReadQuad(scene, quad, growX, growY);
        if (r is { } first && first.Penalty > _options.MaxGrammarPenalty && IsSerialOnly(first.Free.Text))
        {
            // Only the serial was boxed: the province and authority characters, often set apart by the dot
            // and on a differently lit part of the plate, lie to the left. Five serial characters make 5/7 of the line.
            quad = TextLines.ExtendLeft(quad, 0.45f);
            r = ReadQuad(scene, quad, growX, growY);
        }
        if (r is not { } read || read.Penalty > _options.MaxGrammarPenalty) return null;
        using var patch = LineImages.Rectify(scene, quad, 0f, 0f);
        return Score(Finish(read, patch, quad, method, false), read, height, patch) with { Line = new LineSource(quad, growX, growY) };
    }

    private Reading? ReadQuad(Mat scene, (float X, float Y)[] quad, float growX, float growY)
    {
        using var plate = LineImages.Rectify(scene, quad, growX, growY);
        var r = ReadLine(plate, padded: false, SceneLineMaxWidth);
        Trace?.Invoke($"    free={r?.Free.Text} plate={r?.Plate.Text} pen={r?.Penalty:0.0}");
        return r;
    }

    /// <summary>Text that looks like a plate's serial alone: four to six letters and digits, nothing else.</summary>
    private static bool IsSerialOnly(string free)
    {
        var t = free.Trim().Replace("·", "");
        return t.Length is >= 4 and <= 6 && t.All(char.IsAsciiLetterOrDigit) && t.Count(char.IsAsciiDigit) >= 2;
    }

    private static Scored Score(PlateResult result, Reading read, double height, Mat patch)
    {
        // A grammatical text line that is not plate-coloured is more likely a sign or a date stamp.
        var plausible = PlateColorClassifier.LooksLikePlate(PlateColorClassifier.Fractions(patch)) && read.Plate.MeanConfidence > 0.5;
        var sure = plausible && read.Plate.MinConfidence > 0.5 && read.Penalty < 4;
        return new Scored(result, height, plausible, sure);
    }

    public void Dispose()
    {
        _detector.Dispose();
        _recognizer.Dispose();
    }
}
