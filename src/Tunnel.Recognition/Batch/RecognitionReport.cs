using System.Globalization;
using System.Text;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Batch;

/// <summary>The scores of a folder run against its labels.csv (when present), and its timing.</summary>
public sealed class RecognitionReport
{
    public RecognitionReport(string folder, IReadOnlyList<ImageOutcome> outcomes, IReadOnlyDictionary<string, Labels.Label>? labels)
    {
        Folder = folder;
        Outcomes = outcomes;
        var ms = outcomes.Select(o => o.Milliseconds).Order().ToArray();
        MedianMs = Percentile(ms, 0.5);
        P95Ms = Percentile(ms, 0.95);
        if (labels is null) return;
        Labelled = outcomes.Where(o => labels.ContainsKey(o.File)).Select(o => (o, labels[o.File])).ToList();
        var n = Labelled.Count;
        if (n == 0) return;
        ExactAccuracy = Labelled.Count(x => PlateMatches(x.o.Plate, x.Item2.Plate)) / (double)n;
        CharAccuracy = Labelled.Sum(x => CharScore(x.o.Plate, x.Item2.Plate)) / n;
        PerColour = Labelled.GroupBy(x => x.Item2.Color)
            .ToDictionary(g => g.Key, g => (g.Count(x => PlateMatches(x.o.Plate, x.Item2.Plate)), g.Count()));
        var read = Labelled.Where(x => x.o.Result is not null && x.Item2.Color != PlateColor.Unknown).ToList();
        ColourRead = (read.Count(x => x.o.Result!.Color == x.Item2.Color), read.Count);
        Confusions = Labelled.Where(x => !PlateMatches(x.o.Plate, x.Item2.Plate))
            .SelectMany(x => Confuse(x.Item2.Plate, x.o.Plate))
            .GroupBy(c => c).Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        Errors = Labelled.Where(x => !PlateMatches(x.o.Plate, x.Item2.Plate)).Select(x => (x.o.File, x.Item2.Plate, x.o.Plate)).ToList();
    }

    public string Folder { get; }
    public IReadOnlyList<ImageOutcome> Outcomes { get; }
    public List<(ImageOutcome o, Labels.Label)> Labelled { get; } = [];
    public double ExactAccuracy { get; }
    public double CharAccuracy { get; }
    public IReadOnlyDictionary<PlateColor, (int Right, int Total)> PerColour { get; } = new Dictionary<PlateColor, (int, int)>();
    /// <summary>Plates whose colour was right, of the labelled images where a plate was read.</summary>
    public (int Right, int Total) ColourRead { get; }
    public IReadOnlyList<(string Confusion, int Count)> Confusions { get; } = [];
    public IReadOnlyList<(string File, string Expected, string Got)> Errors { get; } = [];
    public double MedianMs { get; }
    public double P95Ms { get; }
    public bool HasLabels => Labelled.Count > 0;

    /// <summary>
    /// Exact match, except that in position 2 (the authority letter, never a digit) O and 0 count as the same:
    /// some source labels write 粤O as 粤0.
    /// </summary>
    public static bool PlateMatches(string got, string expected)
    {
        if (got == expected) return true;
        if (got.Length != expected.Length || got.Length < 2) return false;
        return got[0] == expected[0] && (got[1] is 'O' or '0') && (expected[1] is 'O' or '0') && got[2..] == expected[2..];
    }

    /// <summary>1 - edit distance / label length, floored at 0.</summary>
    public static double CharScore(string got, string expected)
    {
        if (expected.Length == 0) return got.Length == 0 ? 1 : 0;
        return Math.Max(0, 1 - Levenshtein(got, expected) / (double)expected.Length);
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    /// <summary>Character substitutions "expected→got" for same-length readings; otherwise the kind of miss.</summary>
    private static IEnumerable<string> Confuse(string expected, string got)
    {
        if (got.Length == 0) { yield return "(no plate)"; yield break; }
        if (got.Length != expected.Length) { yield return $"length {expected.Length}→{got.Length}"; yield break; }
        var diffs = Enumerable.Range(0, got.Length).Where(i => got[i] != expected[i]).ToList();
        if (diffs.Count > 3) { yield return "(other plate)"; yield break; }
        foreach (var i in diffs) yield return $"{expected[i]}→{got[i]}";
    }

    /// <summary>Nearest-rank percentile of ascending values (0 when there are none): a value some sample really had.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        var idx = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(idx, 0, sorted.Length - 1)];
    }

    public string Format(int maxConfusions = 10)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var found = Outcomes.Count(o => o.Result is not null);
        sb.AppendLine(inv, $"{Folder}: {Outcomes.Count} images, plate found in {found}, unreadable files {Outcomes.Count(o => o.Error is not null)}");
        if (HasLabels)
        {
            sb.AppendLine(inv, $"exact plate accuracy   {ExactAccuracy:P1} ({Labelled.Count(x => PlateMatches(x.o.Plate, x.Item2.Plate))}/{Labelled.Count})");
            sb.AppendLine(inv, $"character accuracy     {CharAccuracy:P1}");
            foreach (var (colour, (right, total)) in PerColour.OrderByDescending(p => p.Value.Total))
                sb.AppendLine(inv, $"  {TunnelJson.Name(colour),-8} {right}/{total} exact ({(double)right / total:P1})");
            if (ColourRead.Total > 0)
                sb.AppendLine(inv, $"colour right           {ColourRead.Right}/{ColourRead.Total} of read plates ({(double)ColourRead.Right / ColourRead.Total:P1})");
            if (Confusions.Count > 0)
                sb.AppendLine("most frequent confusions (expected→read): " + string.Join(", ", Confusions.Take(maxConfusions).Select(c => $"{c.Confusion} ×{c.Count}")));
        }
        sb.AppendLine(inv, $"time per image         median {MedianMs:0.0} ms, p95 {P95Ms:0.0} ms");
        return sb.ToString();
    }
}
