namespace Tunnel.Central.Matching;

/// <summary>
/// Per-agent sequence numbers show a passage that is missing (still in an agent's outbox, or late on
/// the way) before it arrives: at the camera's next passage, or sooner at the agent's next status,
/// which says the last number it gave. A missing exit is a vehicle that may already have left: evidence that
/// the overdue detector must not read as "still inside".
/// </summary>
public sealed class SequenceGaps
{
    private readonly Dictionary<string, AgentSequence> _agents = [];

    public List<Gap> Open { get; } = [];

    /// <summary>Takes one passage's sequence number; true when it is a late one that filled (part of) a gap.</summary>
    public bool Observe(string agentId, long seq, int lane, DateTimeOffset capturedAt)
    {
        if (!_agents.TryGetValue(agentId, out var agent))
        {
            _agents[agentId] = new AgentSequence(seq, capturedAt, lane);
            return false;
        }
        if (seq > agent.Highest)
        {
            var reset = seq - agent.Highest > MaxMissing;
            if (!reset) agent.Count(seq - agent.Highest, capturedAt);
            if (seq > agent.Highest + 1 && !reset)
                Open.Add(new Gap(agentId, agent.Highest + 1, seq - 1, lane, agent.HighestAt, capturedAt, agent.Rate));
            agent.Highest = seq;
            agent.HighestAt = capturedAt;
            return false;
        }
        // A late one: it fills (part of) a gap.
        for (var i = 0; i < Open.Count; i++)
        {
            var g = Open[i];
            if (g.AgentId != agentId || seq < g.FromSeq || seq > g.ToSeq) continue;
            Open.RemoveAt(i);
            if (seq > g.FromSeq) Open.Add(g with { ToSeq = seq - 1, Until = capturedAt });
            if (seq < g.ToSeq) Open.Add(g with { FromSeq = seq + 1, From = capturedAt });
            return true;
        }
        return false;
    }

    /// <summary>
    /// Takes an exit agent's word (its status) that the last passage it captured by <paramref name="at"/> has
    /// number <paramref name="lastSeq"/>. The agent sends it after the passages before it, so those not
    /// received are late: known now, rather than when the camera's next passage comes (at night, minutes).
    /// Returns how many it shows missing.
    /// </summary>
    public long ObserveLastSeq(string agentId, long lastSeq, DateTimeOffset at)
    {
        // Nothing received yet from this agent to count from; or nothing missing; or a restart.
        if (!_agents.TryGetValue(agentId, out var agent) || lastSeq <= agent.Highest || lastSeq - agent.Highest > MaxMissing) return 0;
        var missing = lastSeq - agent.Highest;
        if (at < agent.HighestAt) at = agent.HighestAt;
        agent.Count(missing, at);
        Open.Add(new Gap(agentId, agent.Highest + 1, lastSeq, agent.Lane, agent.HighestAt, at, agent.Rate));
        agent.Highest = lastSeq;
        agent.HighestAt = at;
        return missing;
    }

    /// <summary>A jump further ahead than this is an agent restart or reset, not that many lost passages.</summary>
    private const long MaxMissing = 50;

    /// <summary>Gaps older than <paramref name="lifetime"/> are written off; the rest keep their order. A loop: this runs on every tick.</summary>
    public void Expire(DateTimeOffset now, TimeSpan lifetime)
    {
        var kept = 0;
        for (var i = 0; i < Open.Count; i++)
            if (now - Open[i].Until <= lifetime) Open[kept++] = Open[i];
        Open.RemoveRange(kept, Open.Count - kept);
    }

    private sealed class AgentSequence(long highest, DateTimeOffset at, int lane)
    {
        public int Lane { get; } = lane;
        public long Highest { get; set; } = highest;
        public DateTimeOffset HighestAt { get; set; } = at;
        /// <summary>Passages per second the camera captures, over the last few minutes.</summary>
        public double Rate { get; private set; }

        public void Count(long passages, DateTimeOffset capturedAt)
        {
            var seconds = Math.Max(0, (capturedAt - HighestAt).TotalSeconds);
            Rate = Rate * Math.Exp(-seconds / RateWindowSeconds) + passages / RateWindowSeconds;
        }

        private const double RateWindowSeconds = 300;
    }
}

/// <summary>
/// Passages <see cref="FromSeq"/>..<see cref="ToSeq"/> of one camera, captured between <see cref="From"/> and
/// <see cref="Until"/>, not yet received; <see cref="Rate"/>: the camera's passages per second when it was seen.
/// </summary>
public sealed record Gap(string AgentId, long FromSeq, long ToSeq, int Lane, DateTimeOffset From, DateTimeOffset Until, double Rate)
{
    /// <summary>ln <see cref="Rate"/>, which every weighing of every vehicle inside asks for.</summary>
    public double LogRate { get; } = Math.Log(Rate);
}
