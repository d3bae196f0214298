using Tunnel.Core.Contracts;

namespace Tunnel.Core.Plates;

/// <summary>
/// How far apart two reads of a plate are, in "edits", where the edits that OCR makes all the time
/// (0/D/Q, 8/B, 2/Z, 5/S, 1/7/T, 6/G, A/4, one province character for another) are cheap, and a
/// disagreement at a character either camera was unsure of is cheaper than one both were sure of.
/// </summary>
public static class PlateSimilarity
{
    public const double ConfusableCost = 0.35;
    public const double ProvinceCost = 0.5;
    public const double IndelCost = 0.8;

    private static readonly string[] ConfusionGroups = ["0DQOU", "38B", "2Z", "5S", "17TI", "6G", "4A", "EF", "CG", "HN", "MNW", "UVY", "KX"];

    private static readonly Dictionary<(char, char), bool> Confusable = BuildConfusable();

    private static Dictionary<(char, char), bool> BuildConfusable()
    {
        var map = new Dictionary<(char, char), bool>();
        foreach (var group in ConfusionGroups)
            foreach (var a in group)
                foreach (var b in group)
                    if (a != b) map[(a, b)] = true;
        return map;
    }

    /// <summary>Confusion-aware distance between two reads, weighted by the per-character confidences.</summary>
    public static double Distance(PlateRead a, PlateRead b) =>
        Distance(a.Text, a.CharConfidences, b.Text, b.CharConfidences);

    public static double Distance(string a, IReadOnlyList<double>? confA, string b, IReadOnlyList<double>? confB)
    {
        if (string.Equals(a, b, StringComparison.Ordinal)) return 0;
        int n = a.Length, m = b.Length;
        if (n > 16 || m > 16) return Math.Abs(n - m) + Math.Max(n, m);
        // Two rows of the Levenshtein table on the stack: this runs for every candidate of every exit.
        Span<double> prev = stackalloc double[m + 1];
        Span<double> curr = stackalloc double[m + 1];
        for (var j = 0; j <= m; j++) prev[j] = j * IndelCost;
        for (var i = 1; i <= n; i++)
        {
            curr[0] = i * IndelCost * Certainty(confA, i - 1);
            for (var j = 1; j <= m; j++)
            {
                var sub = prev[j - 1] + SubstitutionCost(a[i - 1], b[j - 1]) * Certainty(confA, i - 1, confB, j - 1);
                var del = prev[j] + IndelCost * Certainty(confA, i - 1);
                var ins = curr[j - 1] + IndelCost * Certainty(confB, j - 1);
                curr[j] = Math.Min(sub, Math.Min(del, ins));
            }
            var swap = prev; prev = curr; curr = swap;
        }
        return prev[m];
    }

    public static double SubstitutionCost(char x, char y)
    {
        if (x == y) return 0;
        if (IsChinese(x) && IsChinese(y)) return ProvinceCost;
        return Confusable.ContainsKey((x, y)) ? ConfusableCost : 1.0;
    }

    private static bool IsChinese(char c) => c >= '\u4e00' && c <= '\u9fff';

    // A disagreement where a camera was unsure says less about identity than one where both were sure.
    private static double Certainty(IReadOnlyList<double>? conf, int i) =>
        conf is not null && i < conf.Count ? 0.3 + 0.7 * Math.Clamp(conf[i], 0, 1) : 1.0;

    private static double Certainty(IReadOnlyList<double>? confA, int i, IReadOnlyList<double>? confB, int j) =>
        Math.Min(Certainty(confA, i), Certainty(confB, j));
}
