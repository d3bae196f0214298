namespace Tunnel.Simulation;

/// <summary>
/// When a passage reaches the central service: normally within about a second of capture; a few are late
/// (an agent replaying its outbox after a broker or network hiccup) and arrive after later captures.
/// </summary>
internal sealed class Delivery(SimulationOptions options, Rng rng)
{
    public (double DelaySeconds, bool Late) Next() =>
        rng.Chance(options.LateRate)
            ? (rng.U(options.MinLate.TotalSeconds, options.MaxLate.TotalSeconds), true)
            : (OnTime(rng), false);

    /// <summary>The delay of a message that is not held up.</summary>
    public static double OnTime(Rng rng) => rng.U(0.15, 1.2);
}

/// <summary>An agent's status and the moment it is delivered to the central service (among the passages of <c>passages.jsonl</c>).</summary>
public readonly record struct DeliveredStatus(DateTimeOffset DeliverAt, Tunnel.Core.Contracts.AgentStatus Status);

/// <summary>A passage and the moment it is delivered to the central service (the order of <c>passages.jsonl</c>).</summary>
public readonly record struct DeliveredPassage(DateTimeOffset DeliverAt, Tunnel.Core.Contracts.Passage Passage, bool Late = false);
