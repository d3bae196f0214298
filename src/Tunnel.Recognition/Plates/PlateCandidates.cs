namespace Tunnel.Recognition.Plates;

internal enum CandidateKind { TextLine, DoubleRow, ColourRegion }

/// <summary>
/// A region that may hold a plate, before reading. <see cref="Fallback"/> is the detector's own line when
/// <see cref="Quad"/> is the plate-coloured region around it: read when the region does not read as a plate.
/// </summary>
internal sealed record PlateCandidate(
    (float X, float Y)[] Quad, float Height, CandidateKind Kind, double Fill,
    (float X, float Y)[]? TopRow = null, (float X, float Y)[]? Fallback = null)
{
    /// <summary>
    /// How likely this is the primary plate, before reading it: the labelled plate is the most prominent one,
    /// and date stamps and signs are rarely plate-coloured.
    /// </summary>
    public double Prior => Height * (0.25 + Fill);
}

/// <summary>Plate candidates of one scene from the detector's text lines and the plate-coloured regions.</summary>
internal static class PlateCandidates
{
    private const double MinRegionFill = 0.2;

    public static List<PlateCandidate> Find(IReadOnlyList<TextBox> boxes, ColourMap colours)
    {
        var lines = TextLines.MergeSplit(boxes.Select(b => b.Corners()).ToList());
        var regions = colours.Regions.ToList();
        var used = new HashSet<int>();
        var result = new List<PlateCandidate>();
        foreach (var line in lines)
        {
            var q = line;
            var w = Geometry.Dist(q[0], q[1]);
            var h = Geometry.Dist(q[1], q[2]);
            // Single-row plate characters span about 410x90 mm: long and flat. A shorter box is usually a
            // plate the detector only half found (the province character apart), so it is widened to a
            // plate's proportions about its centre and the recogniser finds the characters inside.
            if (h < 8 || w / h is < 1.2f or > 9f) continue;
            if (w / h < 3.8f) q = TextLines.Widen(q, 3.8f * h / w);
            var around = Enclosing(regions, line, h, w);
            if (around >= 0)
            {
                // The plate's background bounds all its characters, even those the detector left out.
                used.Add(around);
                var region = regions[around];
                result.Add(new PlateCandidate(region, Geometry.Dist(region[1], region[2]), CandidateKind.ColourRegion, colours.Fill(region), Fallback: q));
            }
            else result.Add(new PlateCandidate(q, h, CandidateKind.TextLine, colours.Fill(line)));
        }
        foreach (var pair in TextLines.DoubleRowPairs(lines))
        {
            var (top, bottom) = (pair[0], pair[1]);
            var height = Geometry.Dist(bottom[1], bottom[2]) + Geometry.Dist(top[1], top[2]);
            result.Add(new PlateCandidate(bottom, height, CandidateKind.DoubleRow, colours.Fill(bottom), TopRow: top));
        }
        for (var i = 0; i < regions.Count; i++)
        {
            if (used.Contains(i)) continue;
            // Without text found inside, a region must be mostly plate-coloured: car bodies, signs and
            // reflections in plate colours are common, and each reading costs as much as a detector pass.
            var fill = colours.Fill(regions[i]);
            if (fill < MinRegionFill) continue;
            result.Add(new PlateCandidate(regions[i], Geometry.Dist(regions[i][1], regions[i][2]), CandidateKind.ColourRegion, fill));
        }
        return result;
    }

    /// <summary>The plate-coloured region that holds the line's centre and is about as tall as the line, or -1.</summary>
    private static int Enclosing(List<(float X, float Y)[]> regions, (float X, float Y)[] line, float h, float w)
    {
        var cx = (line[0].X + line[1].X + line[2].X + line[3].X) / 4;
        var cy = (line[0].Y + line[1].Y + line[2].Y + line[3].Y) / 4;
        var best = -1;
        var bestArea = float.MaxValue;
        for (var i = 0; i < regions.Count; i++)
        {
            var r = regions[i];
            var rw = Geometry.Dist(r[0], r[1]);
            var rh = Geometry.Dist(r[1], r[2]);
            if (rh < 0.7f * h || rh > 2.2f * h || rw < 0.8f * w || rw > 2.5f * Math.Max(w, 3 * h)) continue;
            if (!Geometry.Inside(r.Select(p => ((int)p.X, (int)p.Y)).ToArray(), (int)cx, (int)cy)) continue;
            if (rw * rh < bestArea) { bestArea = rw * rh; best = i; }
        }
        return best;
    }
}
