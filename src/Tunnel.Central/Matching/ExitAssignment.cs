namespace Tunnel.Central.Matching;

/// <summary>
/// Which of several vehicles gets which unmatched exit: the hand-out that makes the whole set of
/// stories cheapest, each vehicle either leaving by one exit or staying at its own cost. A greedy
/// hand-out (cheapest fit first, or fewest choices first) gives an exit to a vehicle that could
/// have done almost as well without it, and the vehicle that needed it is alarmed.
/// </summary>
public static class ExitAssignment
{
    /// <summary>
    /// Solves it exactly (Hungarian method, with one "no exit" column per vehicle).
    /// <paramref name="cost"/>[i, j] is vehicle i leaving by exit j (infinity when it cannot);
    /// <paramref name="stay"/>[i] is vehicle i taking none. Returns, per vehicle, its exit or -1.
    /// </summary>
    public static int[] Solve(double[,] cost, double[] stay)
    {
        var n = stay.Length;
        var m = cost.GetLength(1);
        var cols = m + n;
        // Costs above staying are never chosen: capping them keeps the arithmetic finite.
        double Cell(int i, int j) => j < m ? Math.Min(cost[i, j], stay[i] + 1) : j - m == i ? stay[i] : stay[i] + 1;

        // e-maxx formulation, 1-based: u, v potentials; p[j] the row matched to column j.
        var u = new double[n + 1];
        var v = new double[cols + 1];
        var p = new int[cols + 1];
        var way = new int[cols + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            var minv = new double[cols + 1];
            var used = new bool[cols + 1];
            Array.Fill(minv, double.PositiveInfinity);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                var delta = double.PositiveInfinity;
                for (var j = 1; j <= cols; j++)
                {
                    if (used[j]) continue;
                    var cur = Cell(i0 - 1, j - 1) - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (var j = 0; j <= cols; j++)
                {
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            } while (p[j0] != 0);
            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var result = new int[n];
        Array.Fill(result, -1);
        for (var j = 1; j <= m; j++)
            if (p[j] != 0 && cost[p[j] - 1, j - 1] < stay[p[j] - 1]) result[p[j] - 1] = j - 1;
        return result;
    }
}
