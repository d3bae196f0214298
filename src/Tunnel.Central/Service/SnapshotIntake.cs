using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// Which of the agents' snapshots the service keeps. The broker lets an agent publish under its own portal only, but under
/// any event id, each message up to its packet limit: without a rule a broken or hostile agent fills the disk with pictures
/// of passages that never come, or replaces the picture of a passage whose event id it knows.
/// </summary>
/// <remarks>
/// The rule, and why it never costs an honest agent a picture:
/// <list type="bullet">
/// <item>The first snapshot kept for an event id stays. An agent re-sends a passage with the same bytes (refused by nobody);
/// other bytes are another picture (<c>snapshot-exists</c>).</item>
/// <item>A portal may have at most <see cref="UnclaimedPerLane"/> snapshots per lane kept whose passage has not come yet
/// (<c>snapshot-unclaimed</c> beyond). An honest agent sends each snapshot just before its passage, the passage once the
/// broker took the snapshot, with at most 64 passages in flight (AgentLink's window): never more than 64 of its pictures
/// wait for their passage, however long the outbox it replays after an outage. Counted by portal, not by agent, because
/// the topic names no agent and the broker's ACL gives a portal's lane agents the same topics; a portal of no configured
/// bore has no room at all, so made-up portals cannot each have theirs.</item>
/// <item>A snapshot still unclaimed after <see cref="ClaimWithin"/> is deleted when its room is needed: its passage was
/// refused, or lost with its agent's outbox, and an agent that sends the passage again sends its snapshot again first. So
/// a portal's pictures without a passage never take more than the bound on disk, and leftovers never block a lane.</item>
/// </list>
/// Used by the turn that owns the engine only.
/// </remarks>
public sealed class SnapshotIntake(SnapshotStore store)
{
    /// <summary>Twice an agent's window: room to spare for the one agent of each lane of a portal.</summary>
    public const int UnclaimedPerLane = 128;
    public static readonly TimeSpan ClaimWithin = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, Dictionary<Guid, DateTimeOffset>> _unclaimed = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, string> _portalOf = [];
    private readonly Dictionary<string, long> _refused = new(StringComparer.Ordinal);

    public sealed record Refusal(string Code, string Reason);

    /// <summary>Snapshots refused since the service started, by reason code.</summary>
    public IReadOnlyDictionary<string, long> Refused => _refused;

    /// <summary>
    /// Keeps the snapshot published on <paramref name="topic"/>, or says why not. <paramref name="claimsDue"/>: passages
    /// received before it and not yet taken (earlier in the same batch), each of which may free a room: a loop that fell
    /// behind takes up to 500 messages at once, snapshots as they come and the passages after, and without this it refused an
    /// honest agent's pictures while their passages waited a few lines further down the batch.
    /// </summary>
    /// <exception cref="IOException">The store could not write it (a full disk).</exception>
    public Refusal? Take(SnapshotTopic topic, ReadOnlySpan<byte> jpeg, SitesFile sites, DateTimeOffset now, int claimsDue = 0)
    {
        if (SnapshotStore.Reject(jpeg) is { } bad) return Refuse("bad-snapshot", bad);
        if (sites.FindBore(topic.Site, topic.Bore) is not { } bore || topic.Portal is not ("entry" or "exit"))
            return Refuse("snapshot-unknown-portal", $"no portal {topic.Portal} of bore '{topic.Site}/{topic.Bore}' is configured");
        var eventId = topic.EventId;
        var portal = $"{topic.Site}/{topic.Bore}/{topic.Portal}";
        var room = UnclaimedPerLane * Math.Max(1, bore.Lanes) + claimsDue;
        if (!_unclaimed.TryGetValue(portal, out var waiting)) _unclaimed[portal] = waiting = [];
        if (!HasRoom(waiting, room, eventId, now))
            return store.Load(eventId) is { } kept ? Kept(waiting, eventId, kept.AsSpan().SequenceEqual(jpeg), now)
                : Refuse("snapshot-unclaimed", $"{room} snapshots of {portal} already wait for their passage");
        switch (store.Save(eventId, jpeg))
        {
            case SnapshotSaved.Stored:
                waiting[eventId] = now;
                _portalOf[eventId] = portal;
                return null;
            case var saved:
                return Kept(waiting, eventId, saved == SnapshotSaved.Same, now);
        }
    }

    /// <summary>A passage of <paramref name="eventId"/> came (taken, a re-send or not yet taken): its snapshot waits no more.</summary>
    public void Claim(Guid eventId)
    {
        if (_portalOf.Remove(eventId, out var portal)) _unclaimed[portal].Remove(eventId);
    }

    /// <summary>One was kept already: the agent's re-send (its passage follows, so it waits anew), or another picture.</summary>
    private Refusal? Kept(Dictionary<Guid, DateTimeOffset> waiting, Guid eventId, bool same, DateTimeOffset now)
    {
        if (!same) return Refuse("snapshot-exists", "a snapshot of this passage is kept already; it is not replaced");
        if (waiting.ContainsKey(eventId)) waiting[eventId] = now;
        return null;
    }

    /// <summary>Whether the portal may keep one more waiting snapshot, after deleting those that waited too long.</summary>
    private bool HasRoom(Dictionary<Guid, DateTimeOffset> waiting, int room, Guid eventId, DateTimeOffset now)
    {
        if (waiting.Count < room || waiting.ContainsKey(eventId)) return true;
        foreach (var (stale, _) in waiting.Where(w => w.Value < now - ClaimWithin).ToList())
        {
            store.Delete(stale);
            waiting.Remove(stale);
            _portalOf.Remove(stale);
        }
        return waiting.Count < room;
    }

    private Refusal Refuse(string code, string reason)
    {
        _refused[code] = _refused.GetValueOrDefault(code) + 1;
        return new Refusal(code, reason);
    }
}
