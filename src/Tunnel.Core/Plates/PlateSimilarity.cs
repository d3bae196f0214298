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

    // Per ASCII character, the confusion groups it belongs to as bits: two characters are confusable
    // when they share a group. A table, not a dictionary: this runs in the inner loop of every exit's fuzzy search.
    private static readonly ushort[] Groups = BuildGroups();

    private static ushort[] BuildGroups()
    {
        var groups = new ushort[128];
        for (var g = 0; g < ConfusionGroups.Length; g++)
            foreach (var c in ConfusionGroups[g]) groups[c] |= (ushort)(1 << g);
        return groups;
    }

    /// <summary>Confusion-aware distance between two reads, weighted by the per-character confidences.</summary>
    public static double Distance(PlateRead a, PlateRead b, double stopAbove = double.PositiveInfinity) =>
        Distance(a.Text, a.CharConfidences, b.Text, b.CharConfidences, stopAbove);

    /// <summary>
    /// The distance, or as soon as it is certain to exceed <paramref name="stopAbove"/>, some value
    /// above it: callers that only want close reads skip most of the work for the many that are not.
    /// </summary>
    public static double Distance(string a, IReadOnlyList<double>? confA, string b, IReadOnlyList<double>? confB,
        double stopAbove = double.PositiveInfinity)
    {
        if (a.Length > 16 || b.Length > 16) return WeightedDistance(a, [], b, [], stopAbove); // answered before any certainty is read
        Span<double> certainA = stackalloc double[a.Length];
        Span<double> certainB = stackalloc double[b.Length];
        FillCertainties(confA, certainA);
        FillCertainties(confB, certainB);
        return WeightedDistance(a, certainA, b, certainB, stopAbove);
    }

    /// <summary>
    /// The distance from each read's <see cref="Certainties"/>, worked out beforehand: a vehicle inside
    /// is compared with many exits, and an exit with every vehicle inside.
    /// </summary>
    public static double WeightedDistance(string a, ReadOnlySpan<double> certainA, string b, ReadOnlySpan<double> certainB,
        double stopAbove = double.PositiveInfinity)
    {
        if (string.Equals(a, b, StringComparison.Ordinal)) return 0;
        int n = a.Length, m = b.Length;
        if (n > 16 || m > 16) return Math.Abs(n - m) + Math.Max(n, m);
        // Most pairs a search weighs are plates of other vehicles: the floor turns them away without the table.
        if (stopAbove < double.PositiveInfinity)
        {
            var floor = Floor(a, certainA, b, certainB);
            if (floor > stopAbove) return floor;
        }
        // The table's two rows on the stack: this runs for every candidate of every exit.
        Span<double> prev = stackalloc double[m + 1];
        Span<double> curr = stackalloc double[m + 1];
        for (var j = 0; j <= m; j++) prev[j] = j * IndelCost;
        for (var i = 1; i <= n; i++)
        {
            var ca = certainA[i - 1];
            curr[0] = i * IndelCost * ca;
            var rowMin = curr[0];
            for (var j = 1; j <= m; j++)
            {
                var cb = certainB[j - 1];
                var sub = prev[j - 1] + SubstitutionCost(a[i - 1], b[j - 1]) * Math.Min(ca, cb);
                var del = prev[j] + IndelCost * ca;
                var ins = curr[j - 1] + IndelCost * cb;
                curr[j] = Math.Min(sub, Math.Min(del, ins));
                rowMin = Math.Min(rowMin, curr[j]);
            }
            // Costs only add up: every alignment crosses this row, so none ends below its minimum.
            if (rowMin > stopAbove) return rowMin;
            var swap = prev; prev = curr; curr = swap;
        }
        return prev[m];
    }

    /// <summary>
    /// A floor under <see cref="WeightedDistance"/>: a character of one read whose class (its confusion
    /// group, every province character one class) has no character in the other read can be neither kept
    /// nor confused cheaply, so it takes an edit of its own costing at least an insertion or deletion at
    /// the least certain character of either read.
    /// </summary>
    internal static double Floor(string a, ReadOnlySpan<double> certainA, string b, ReadOnlySpan<double> certainB)
    {
        ulong classesA = 0, classesB = 0;
        var least = 1.0;
        for (var i = 0; i < a.Length; i++) { classesA |= ClassBit(a[i]); least = Math.Min(least, certainA[i]); }
        for (var j = 0; j < b.Length; j++) { classesB |= ClassBit(b[j]); least = Math.Min(least, certainB[j]); }
        var unmatched = Math.Max(ulong.PopCount(classesA & ~classesB), ulong.PopCount(classesB & ~classesA));
        // Shaved a little so that rounding in the table's sums never leaves the distance below it.
        return unmatched * IndelCost * least * (1 - 1e-9);
    }

    // One bit per class; characters past the 62nd ASCII class share the last bit, others outside ASCII one more
    // (sharing a bit only lowers the floor).
    private static readonly ulong[] ClassBits = BuildClassBits();
    private const ulong ProvinceBit = 1UL << 62, OtherBit = 1UL << 63;

    private static ulong ClassBit(char c) => c < 128 ? ClassBits[c] : IsChinese(c) ? ProvinceBit : OtherBit;

    private static ulong[] BuildClassBits()
    {
        // Characters that share a confusion group, directly or through a third, are one class.
        var classOf = new int[128];
        for (var c = 0; c < 128; c++) classOf[c] = c;
        int Root(int c) { while (classOf[c] != c) c = classOf[c]; return c; }
        foreach (var group in ConfusionGroups)
            for (var k = 1; k < group.Length; k++) classOf[Root(group[k])] = Root(group[0]);
        // Plate characters (digits, capitals) get bits first, so they never share one.
        var order = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".Concat(Enumerable.Range(0, 128).Select(i => (char)i));
        var bitOfRoot = new Dictionary<int, int>();
        var bits = new ulong[128];
        foreach (var c in order)
        {
            var root = Root(c);
            if (!bitOfRoot.TryGetValue(root, out var bit)) bitOfRoot[root] = bit = Math.Min(bitOfRoot.Count, 61);
            bits[c] = 1UL << bit;
        }
        return bits;
    }

    /// <summary>How much a disagreement at each character of <paramref name="read"/> counts, for <see cref="WeightedDistance"/>.</summary>
    public static double[] Certainties(PlateRead read)
    {
        var certain = new double[read.Text.Length];
        Certainties(read, certain);
        return certain;
    }

    /// <summary><see cref="Certainties(PlateRead)"/> into a span as long as the read's text.</summary>
    public static void Certainties(PlateRead read, Span<double> into) => FillCertainties(read.CharConfidences, into);

    private static void FillCertainties(IReadOnlyList<double>? conf, Span<double> into)
    {
        for (var i = 0; i < into.Length; i++) into[i] = Certainty(conf, i);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static double SubstitutionCost(char x, char y)
    {
        if (x == y) return 0;
        if (IsChinese(x) && IsChinese(y)) return ProvinceCost;
        return x < 128 && y < 128 && (Groups[x] & Groups[y]) != 0 ? ConfusableCost : 1.0;
    }

    private static bool IsChinese(char c) => c >= '\u4e00' && c <= '\u9fff';

    // A disagreement where a camera was unsure says less about identity than one where both were sure.
    private static double Certainty(IReadOnlyList<double>? conf, int i) =>
        conf is not null && i < conf.Count ? 0.3 + 0.7 * Math.Clamp(conf[i], 0, 1) : 1.0;
}
