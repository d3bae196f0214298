namespace Tunnel.Recognition.Plates;

/// <summary>Text decoded from one recogniser output, with one confidence per character.</summary>
public sealed record DecodedText(string Text, double[] CharConfidences, double LogScore)
{
    public double MinConfidence => CharConfidences.Length == 0 ? 0 : CharConfidences.Min();
    public double MeanConfidence => CharConfidences.Length == 0 ? 0 : CharConfidences.Average();
}

/// <summary>
/// CTC decoding of the recogniser's [T, classes] probabilities: the unconstrained best path, and the best
/// path that spells a valid plate (<see cref="PlateGrammar"/>). The constrained search is exact Viterbi over
/// CTC alignments restricted to the grammar, so a weaker but legal reading of a smudged character beats a
/// confident illegal one (a digit in the province slot, O in a serial, a dropped province character).
/// </summary>
public sealed class CtcDecoder
{
    private const double Floor = 1e-10;
    private readonly CharDictionary _dict;
    // Each grammar: the classes allowed at each position, and its log prior.
    private readonly (int[][] Positions, double Prior)[] _grammars;
    // The dot (or a dash, point or space) printed between the authority letter and the serial.
    private readonly int[] _separators;
    // GA 36 leaves I and O out of serials because they look like 1 and 0: where a digit is allowed, the recogniser's I or O is that digit.
    private readonly (int Digit, int Letter)[] _lookalikes;

    public CtcDecoder(CharDictionary dict)
    {
        _dict = dict;
        int[] Classes(string chars) => chars.Select(c => dict.IndexOf(c)).Where(i => i > 0).Distinct().ToArray();
        var provinces = Classes(PlateGrammar.Provinces);
        var authority = Classes(PlateGrammar.AuthorityLetters);
        var serial = Classes(PlateGrammar.Serial);
        var suffix = Classes(PlateGrammar.Suffixes);
        var digits = Classes(PlateGrammar.Digits);
        var energyFirst = Classes(PlateGrammar.NewEnergyFirstLetters);
        var energyLast = Classes("DF");
        _separators = Classes("·•-. ");
        _lookalikes = [(dict.IndexOf('1'), dict.IndexOf('I')), (dict.IndexOf('0'), dict.IndexOf('O'))];
        // Log priors: ordinary plates dominate traffic, so an 8-character or suffixed reading must earn its
        // place with clearly better evidence (a spurious edge column read as an 8th character is the usual error).
        _grammars =
        [
            ([provinces, authority, serial, serial, serial, serial, serial], 0),
            ([provinces, authority, energyFirst, serial, digits, digits, digits, digits], -2.5), // small new-energy
            ([provinces, authority, digits, digits, digits, digits, digits, energyLast], -2.5),  // large new-energy
            ([provinces, authority, serial, serial, serial, serial, suffix], -1.5),              // 学 警 港 澳 挂 领
        ];
    }

    /// <summary>Best path: argmax per frame, repeats merged, blanks dropped.</summary>
    public DecodedText Greedy(ReadOnlySpan<float> probs, int frames, int classes)
    {
        var text = new System.Text.StringBuilder();
        var conf = new List<double>();
        var logScore = 0.0;
        var prev = 0;
        for (var t = 0; t < frames; t++)
        {
            var row = probs.Slice(t * classes, classes);
            var best = 0;
            var p = row[0];
            for (var c = 1; c < classes; c++) if (row[c] > p) { p = row[c]; best = c; }
            logScore += Math.Log(Math.Max(p, Floor));
            if (best != 0 && best != prev)
            {
                text.Append(_dict[best]);
                conf.Add(p);
            }
            else if (best != 0 && p > conf[^1]) conf[^1] = p;
            prev = best;
        }
        return new DecodedText(text.ToString(), [.. conf], logScore);
    }

    /// <summary>
    /// The most probable alignment that reads as a valid plate, or null when the output is too short for one.
    /// Its <see cref="DecodedText.LogScore"/> minus <see cref="Greedy"/>'s says how much the grammar had to force.
    /// </summary>
    /// <param name="doubleRow">The rows of a double-row plate side by side: never a new-energy plate (those are all single-row), so seven characters.</param>
    public DecodedText? Constrained(ReadOnlySpan<float> probs, int frames, int classes, bool doubleRow = false)
    {
        DecodedText? best = null;
        foreach (var (positions, prior) in _grammars)
        {
            if (doubleRow && positions.Length != 7) continue;
            var d = Viterbi(probs, frames, classes, positions, positions.Length, prior);
            if (d is not null && (best is null || d.LogScore > best.LogScore)) best = d;
        }
        return best;
    }

    private const int Continue = -1, FromGap = -2, Stay = -1;

    private DecodedText? Viterbi(ReadOnlySpan<float> probs, int frames, int classes, int[][] positions, int minLength, double prior)
    {
        var n = positions.Length;
        if (frames < minLength) return null;
        // run[k][j]: best log score with k+1 characters emitted, inside the run of the last one (class positions[k][j]).
        // gap[k]: best log score with k characters emitted, on a blank.
        var run = new double[n][];
        for (var k = 0; k < n; k++) run[k] = Filled(positions[k].Length, double.NegativeInfinity);
        var gap = Filled(n + 1, double.NegativeInfinity);
        gap[0] = 0;
        // Back pointers per frame: for runs Continue, FromGap or the index j of the previous character's run;
        // for gaps Stay or the index j of the run just left.
        var runBack = new int[frames][][];
        var gapBack = new int[frames][];
        var top = new (double S1, int J1, double S2, int J2)[n];

        for (var t = 0; t < frames; t++)
        {
            var row = probs.Slice(t * classes, classes);
            for (var k = 0; k < n; k++)
            {
                (double S1, int J1, double S2, int J2) b = (double.NegativeInfinity, -1, double.NegativeInfinity, -1);
                var r = run[k];
                for (var j = 0; j < r.Length; j++)
                {
                    if (r[j] > b.S1) b = (r[j], j, b.S1, b.J1);
                    else if (r[j] > b.S2) { b.S2 = r[j]; b.J2 = j; }
                }
                top[k] = b;
            }
            var newRun = new double[n][];
            var back = new int[n][];
            for (var k = 0; k < n; k++)
            {
                var allowed = positions[k];
                newRun[k] = new double[allowed.Length];
                back[k] = new int[allowed.Length];
                for (var j = 0; j < allowed.Length; j++)
                {
                    var cls = allowed[j];
                    var best = run[k][j];
                    var from = Continue;
                    if (gap[k] > best) { best = gap[k]; from = FromGap; }
                    if (k > 0)
                    {
                        // A new character straight after another needs a different class (CTC merges repeats).
                        var p = top[k - 1];
                        var (s, pj) = positions[k - 1][Math.Max(p.J1, 0)] == cls && p.J1 >= 0 ? (p.S2, p.J2) : (p.S1, p.J1);
                        if (pj >= 0 && s > best) { best = s; from = pj; }
                    }
                    newRun[k][j] = best + Math.Log(Math.Max(Probability(row, cls), Floor));
                    back[k][j] = from;
                }
            }
            var blank = Math.Log(Math.Max(row[0], Floor));
            // After the authority letter the separator passes for a blank: it is part of the plate, not forced away.
            var separator = Math.Max(blank, Math.Log(Math.Max(MaxOf(row, _separators), Floor)));
            var newGap = new double[n + 1];
            var gBack = new int[n + 1];
            for (var k = 0; k <= n; k++)
            {
                var stay = gap[k];
                var leave = k > 0 ? top[k - 1].S1 : double.NegativeInfinity;
                newGap[k] = Math.Max(stay, leave) + (k == 2 ? separator : blank);
                gBack[k] = leave > stay ? top[k - 1].J1 : Stay;
            }
            run = newRun;
            gap = newGap;
            runBack[t] = back;
            gapBack[t] = gBack;
        }

        // End inside the last run or on a blank after it, with an accepted length.
        (double Score, int K, int J) end = (double.NegativeInfinity, 0, 0);
        for (var len = minLength; len <= n; len++)
        {
            var r = run[len - 1];
            for (var j = 0; j < r.Length; j++) if (r[j] > end.Score) end = (r[j], len - 1, j);
            if (gap[len] > end.Score) end = (gap[len], len, -1);
        }
        if (double.IsNegativeInfinity(end.Score)) return null;

        var chars = new List<(int Cls, double Conf)>(n);
        var (kk, jj) = (end.K, end.J);
        var inRun = jj >= 0;
        var conf = 0.0;
        for (var t = frames - 1; t >= 0; t--)
        {
            if (!inRun)
            {
                var g = gapBack[t][kk];
                if (g == Stay) continue;
                kk -= 1;
                jj = g;
                inRun = true;
                continue;
            }
            var cls = positions[kk][jj];
            conf = Math.Max(conf, Probability(probs.Slice(t * classes, classes), cls));
            var from = runBack[t][kk][jj];
            if (from == Continue) continue;
            chars.Add((cls, conf));
            conf = 0;
            if (from == FromGap) inRun = false;
            else { kk -= 1; jj = from; }
        }
        chars.Reverse();
        var text = string.Concat(chars.Select(c => _dict[c.Cls]));
        return new DecodedText(text, chars.Select(c => c.Conf).ToArray(), end.Score + prior);
    }

    /// <summary>A class's probability in one frame, its look-alike letter's included for 1 and 0.</summary>
    private float Probability(ReadOnlySpan<float> row, int cls)
    {
        foreach (var (digit, letter) in _lookalikes)
            if (cls == digit) return Math.Max(row[cls], row[letter]);
        return row[cls];
    }

    private static float MaxOf(ReadOnlySpan<float> row, int[] classes)
    {
        var max = 0f;
        foreach (var c in classes) max = Math.Max(max, row[c]);
        return max;
    }

    private static double[] Filled(int n, double v)
    {
        var a = new double[n];
        Array.Fill(a, v);
        return a;
    }
}
