using Tunnel.Core.Contracts;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

/// <summary>One agent's passages over a period: how many, how many with no plate read, how many exits matched nothing.</summary>
public sealed record AgentQuality(string AgentId, long Passages, long Unread, long Exits, long UnmatchedExits)
{
    public double? UnreadShare => Passages == 0 ? null : (double)Unread / Passages;
    public double? UnmatchedExitShare => Exits == 0 ? null : (double)UnmatchedExits / Exits;
}

public sealed partial class TunnelStore
{
    /// <summary>One passage by its event id, or null.</summary>
    public StoredPassage? GetPassage(Guid eventId) =>
        Query("SELECT id, json, received_at FROM passages WHERE event_id = @id", ReadStoredPassage, ("@id", Col.Uuid, eventId)).FirstOrDefault();

    /// <summary>The latest passages of one bore (both portals), newest first by the order they were stored.</summary>
    public IReadOnlyList<StoredPassage> RecentPassages(BoreKey bore, int limit) =>
        Query("SELECT id, json, received_at FROM passages WHERE site = @site AND bore = @bore ORDER BY id DESC LIMIT @limit",
            ReadStoredPassage, ("@site", Col.Text, bore.Site), ("@bore", Col.Text, bore.Bore), ("@limit", Col.Int, limit));

    /// <summary>
    /// A vehicle's passages, newest first. Plates past the retention are blanked, so this never
    /// reaches beyond it. Callers audit who looked.
    /// </summary>
    public IReadOnlyList<StoredPassage> PassagesByPlate(string plate, int limit = 200) =>
        string.IsNullOrEmpty(plate) ? []
        : Query("SELECT id, json, received_at FROM passages WHERE plate_text = @plate ORDER BY captured_at DESC, id DESC LIMIT @limit",
            ReadStoredPassage, ("@plate", Col.Text, plate), ("@limit", Col.Int, limit));

    /// <summary>The latest state of every alarm raised for this plate, newest first. Callers audit who looked.</summary>
    public IReadOnlyList<AlarmTransition> AlarmsByPlate(string plate, int limit = 100) =>
        string.IsNullOrEmpty(plate) ? []
        : Query("SELECT json FROM alarms_current WHERE plate_text = @plate ORDER BY at DESC LIMIT @limit",
            r => ReadAlarm(r.GetString(0)), ("@plate", Col.Text, plate), ("@limit", Col.Int, limit));

    /// <summary>The newest passage of each agent captured since <paramref name="since"/> (for the latest snapshot per camera).</summary>
    public IReadOnlyList<StoredPassage> LatestPassagePerAgent(DateTimeOffset since) =>
        Query("""
              SELECT p.id, p.json, p.received_at FROM passages p
              JOIN (SELECT MAX(id) AS id FROM passages WHERE captured_at >= @since GROUP BY agent_id) latest ON p.id = latest.id
              ORDER BY p.agent_id
              """, ReadStoredPassage, ("@since", Col.Time, since));

    /// <summary>
    /// Per agent, over passages captured in [from, to): the count, those with no plate read and, for
    /// exit cameras, the exits no transit claims (not matched to any entry).
    /// </summary>
    public IReadOnlyList<AgentQuality> AgentQualities(DateTimeOffset from, DateTimeOffset to) =>
        Query("""
              SELECT p.agent_id, COUNT(*),
                     SUM(CASE WHEN p.plate_text IS NULL THEN 1 ELSE 0 END),
                     SUM(CASE WHEN p.portal = @exit THEN 1 ELSE 0 END),
                     SUM(CASE WHEN p.portal = @exit AND NOT EXISTS (SELECT 1 FROM transits t WHERE t.exit_event_id = p.event_id) THEN 1 ELSE 0 END)
              FROM passages p WHERE p.captured_at >= @from AND p.captured_at < @to
              GROUP BY p.agent_id ORDER BY p.agent_id
              """,
            r => new AgentQuality(r.GetString(0), Convert.ToInt64(r.GetValue(1)), Convert.ToInt64(r.GetValue(2)),
                Convert.ToInt64(r.GetValue(3)), Convert.ToInt64(r.GetValue(4))),
            ("@exit", Col.Text, TunnelJson.Name(Portal.Exit)), ("@from", Col.Time, from), ("@to", Col.Time, to));
}
