using Tunnel.Central.Matching;

namespace Tunnel.Central.Overdue;

/// <summary>
/// Hands the unmatched exits out among the vehicles that need one (those that would look stopped
/// without), so that the stories of all of them together are the cheapest: each vehicle leaves by
/// one exit or stays inside at its own cost, and an exit nobody takes is someone else's, or a
/// phantom when nobody else fits it.
/// </summary>
public static class ExitHandout
{
    /// <param name="needy">Each vehicle and what staying inside, with no unmatched exit, costs it.</param>
    /// <param name="mayTake">Which exits a vehicle may be given; any, without it.</param>
    public static Dictionary<OrphanExit, Transit> Decide(OverdueEvidence evidence, IReadOnlyDictionary<Transit, double> needy, IReadOnlyList<OrphanExit> exits,
        Func<Transit, OrphanExit, bool>? mayTake = null)
    {
        // Same state, same hand-out, whoever asks.
        var vehicles = needy.Keys.OrderBy(c => c.EnteredAt).ThenBy(c => c.EntryEventId).ToList();
        var stays = vehicles.Select(c => needy[c]).ToArray();
        var cost = new double[vehicles.Count, exits.Count];
        var cap = stays.Max() + evidence.MaxDiscount;
        for (var j = 0; j < exits.Count; j++)
        {
            var fits = false;
            for (var i = 0; i < vehicles.Count; i++)
            {
                cost[i, j] = mayTake is null || mayTake(vehicles[i], exits[j]) ? evidence.ExplainCost(vehicles[i], exits[j]) : double.PositiveInfinity;
                fits |= cost[i, j] < cap;
            }
            // Asked only when the exit could matter: it looks at every vehicle inside.
            if (!fits) continue;
            var discount = evidence.OthersDiscount(exits[j], u => !needy.ContainsKey(u));
            for (var i = 0; i < vehicles.Count; i++) cost[i, j] -= discount;
        }
        var pick = ExitAssignment.Solve(cost, stays);
        var given = new Dictionary<OrphanExit, Transit>();
        for (var i = 0; i < vehicles.Count; i++)
            if (pick[i] >= 0) given[exits[pick[i]]] = vehicles[i];
        return given;
    }
}
