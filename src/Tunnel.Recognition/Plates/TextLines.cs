namespace Tunnel.Recognition.Plates;

/// <summary>Turns the detector's text boxes into plate-shaped lines: split plates joined, short boxes widened, double-row plates paired.</summary>
internal static class TextLines
{
    /// <summary>Joins boxes on one line separated by less than a character: the detector often splits 粤A | K9331 at the dot.</summary>
    public static List<(float X, float Y)[]> MergeSplit(List<(float X, float Y)[]> quads)
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

    /// <summary>Stretches a quad along its top edge's direction about its centre.</summary>
    public static (float X, float Y)[] Widen((float X, float Y)[] q, float factor)
    {
        var cx = (q[0].X + q[1].X + q[2].X + q[3].X) / 4;
        var cy = (q[0].Y + q[1].Y + q[2].Y + q[3].Y) / 4;
        var len = Geometry.Dist(q[0], q[1]);
        var ux = (q[1].X - q[0].X) / len;
        var uy = (q[1].Y - q[0].Y) / len;
        (float, float) Scale((float X, float Y) p)
        {
            var along = (p.X - cx) * ux + (p.Y - cy) * uy;
            return (p.X + (factor - 1) * along * ux, p.Y + (factor - 1) * along * uy);
        }
        return [Scale(q[0]), Scale(q[1]), Scale(q[2]), Scale(q[3])];
    }

    /// <summary>Moves the quad's left edge outwards by <paramref name="fraction"/> of its length.</summary>
    public static (float X, float Y)[] ExtendLeft((float X, float Y)[] q, float fraction)
    {
        var dx = (q[1].X - q[0].X) * fraction;
        var dy = (q[1].Y - q[0].Y) * fraction;
        return [(q[0].X - dx, q[0].Y - dy), q[1], q[2], (q[3].X - dx, q[3].Y - dy)];
    }

    /// <summary>Pairs a short upper line (province + letter) with a longer, taller line just below it.</summary>
    public static IEnumerable<(float X, float Y)[][]> DoubleRowPairs(List<(float X, float Y)[]> lines)
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
            yield return [top, bottom];
        }
    }
}
