using Tunnel.Core.Contracts;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>
/// Combines several reads of one vehicle's plate into one: the length most of the confidence agrees on, then
/// per character position a vote weighted by that character's confidence (so one frame's misread character
/// is outvoted, and a plate no single frame read right can still come out right), and a weighted majority on
/// the plate colour.
/// </summary>
public static class ReadFusion
{
    public static PlateResult? Fuse(IReadOnlyList<PlateResult> reads)
    {
        if (reads.Count == 0) return null;
        if (reads.Count == 1) return reads[0];

        var length = reads.GroupBy(r => r.Text.Length).MaxBy(g => g.Sum(r => r.Confidence + 1e-6))!.Key;
        var agreeing = reads.Where(r => r.Text.Length == length).ToArray();

        var text = new char[length];
        var confidences = new double[length];
        for (var i = 0; i < length; i++)
        {
            var votes = new Dictionary<char, (double Weight, double Best)>();
            var total = 0.0;
            foreach (var r in agreeing)
            {
                var c = CharConfidence(r, i);
                total += c;
                var v = votes.GetValueOrDefault(r.Text[i]);
                votes[r.Text[i]] = (v.Weight + c, Math.Max(v.Best, c));
            }
            var (winner, (weight, best)) = votes.MaxBy(kv => kv.Value.Weight);
            text[i] = winner;
            // Unanimous reads keep their best confidence; a contested position loses the share that voted otherwise.
            confidences[i] = total > 0 ? best * weight / total : 0;
        }

        var (color, colorConfidence) = FuseColour(reads);
        var fusedText = new string(text);
        var basis = agreeing.OrderByDescending(r => r.Text == fusedText).ThenByDescending(r => r.Confidence).First();
        var (vehicleClass, classConfidence) = VehicleClassifier.FromPlate(fusedText, color, basis.DoubleRow, PlateGeometry.Aspect(basis.Box));
        var hazmat = reads.Max(r => r.HazmatConfidence);
        return basis with
        {
            Text = fusedText,
            CharConfidences = confidences,
            Confidence = confidences.Min(),
            Color = color,
            ColorConfidence = colorConfidence,
            VehicleClass = vehicleClass,
            VehicleClassConfidence = classConfidence,
            // A hazmat sign is often legible in only one of the frames: the strongest sighting counts.
            Hazmat = hazmat >= HazmatSigns.Threshold,
            HazmatConfidence = hazmat,
            Milliseconds = reads.Sum(r => r.Milliseconds),
        };
    }

    private static double CharConfidence(PlateResult r, int i) =>
        r.CharConfidences.Count == r.Text.Length ? r.CharConfidences[i] : r.Confidence;

    private static (PlateColor Color, double Confidence) FuseColour(IReadOnlyList<PlateResult> reads)
    {
        var weights = reads.GroupBy(r => r.Color)
            .Select(g => (Color: g.Key, Weight: g.Sum(r => Math.Max(r.ColorConfidence, 0.05)), Best: g.Max(r => r.ColorConfidence)))
            .ToArray();
        var total = weights.Sum(w => w.Weight);
        var win = weights.MaxBy(w => w.Weight);
        return (win.Color, win.Best * win.Weight / total);
    }
}

/// <summary>Plate quadrilateral measurements.</summary>
internal static class PlateGeometry
{
    /// <summary>Polygon area (shoelace).</summary>
    public static double Area(IReadOnlyList<(float X, float Y)> box)
    {
        var sum = 0.0;
        for (var i = 0; i < box.Count; i++)
        {
            var (x0, y0) = box[i];
            var (x1, y1) = box[(i + 1) % box.Count];
            sum += (double)x0 * y1 - (double)x1 * y0;
        }
        return Math.Abs(sum) / 2;
    }

    /// <summary>Width over height of a quadrilateral given clockwise from top-left; 0 when degenerate.</summary>
    public static double Aspect(IReadOnlyList<(float X, float Y)> box)
    {
        if (box.Count != 4) return 0;
        static double Distance((float X, float Y) a, (float X, float Y) b) => Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2));
        var width = (Distance(box[0], box[1]) + Distance(box[3], box[2])) / 2;
        var height = (Distance(box[0], box[3]) + Distance(box[1], box[2])) / 2;
        return height > 0 ? width / height : 0;
    }

    public static (int X, int Y, int Width, int Height) Bounds(IReadOnlyList<(float X, float Y)> box)
    {
        var x0 = (int)Math.Floor(box.Min(p => p.X));
        var y0 = (int)Math.Floor(box.Min(p => p.Y));
        var x1 = (int)Math.Ceiling(box.Max(p => p.X));
        var y1 = (int)Math.Ceiling(box.Max(p => p.Y));
        return (x0, y0, x1 - x0, y1 - y0);
    }
}
