using System.Data.Common;
using Tunnel.Core.Contracts;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

public sealed partial class TunnelStore
{
    private const int PassagePageSize = 2_000;

    private static readonly BulkInsert PassageInsert = new("passages",
    [
        ("event_id", Col.Uuid), ("agent_id", Col.Text), ("seq", Col.Long), ("site", Col.Text), ("bore", Col.Text),
        ("portal", Col.Text), ("lane", Col.Int), ("captured_at", Col.Time), ("received_at", Col.Time),
        ("plate_text", Col.Text), ("plate_color", Col.Text), ("vehicle_class", Col.Text), ("hazmat", Col.Bool), ("json", Col.Text),
    ], "ON CONFLICT (event_id) DO NOTHING");

    private static readonly BulkInsert HourlyCountUpsert = new("hourly_counts",
    [
        ("hour_start", Col.Time), ("site", Col.Text), ("bore", Col.Text), ("portal", Col.Text), ("vehicle_class", Col.Text), ("hazmat", Col.Bool),
        ("passages", Col.Long),
    ], "ON CONFLICT (hour_start, site, bore, portal, vehicle_class, hazmat) DO UPDATE SET passages = hourly_counts.passages + excluded.passages");

    /// <summary>
    /// Stores a batch in one transaction and records each agent's sequence numbers. The event id is
    /// the idempotency key: a passage already stored (or repeated in the batch) changes nothing.
    /// Returns the passages that were new, in batch order. When this returns, the batch is durable.
    /// </summary>
    public IReadOnlyList<Passage> AddPassages(IReadOnlyList<(Passage Passage, DateTimeOffset ReceivedAt)> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Store(new StoreBatch { Passages = batch }).NewPassages;
    }

    /// <summary>
    /// Stores everything the central service's writer has queued in one transaction, so one disk sync
    /// covers it: passages (as <see cref="AddPassages"/>), dead letters with their handled seqs (as
    /// <see cref="AddDeadLetter"/>), ended transits (as <see cref="UpsertTransits"/>) and alarm transitions
    /// (as <see cref="AddAlarmTransitions"/>), all or nothing. When this returns, the batch is durable.
    /// </summary>
    public StoreBatchResult Store(StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var (letter, seq) in batch.DeadLetters)
        {
            ArgumentNullException.ThrowIfNull(letter);
            if (seq is not null && letter.AgentId is null)
                throw new ArgumentException("a handled seq needs the dead letter's agent id", nameof(batch));
        }
        var seen = new HashSet<Guid>();
        var unique = batch.Passages.Where(b => seen.Add(b.Passage.EventId)).ToList();
        // Serialised before taking the write lock, so the lock covers database work only.
        var passageRows = unique.Select(b => PassageRow(b.Passage, b.ReceivedAt)).ToList();
        var transitRows = TransitRows(batch.Transits);
        var (alarmHistory, alarmCurrent) = AlarmRows(batch.Alarms);
        if (passageRows.Count == 0 && batch.DeadLetters.Count == 0 && batch.HandledSeqs.Count == 0 && batch.ConfirmedThrough.Count == 0
            && transitRows.Count == 0 && alarmHistory.Count == 0 && batch.PublishedAlarms.Count == 0)
            return new StoreBatchResult([], []);
        return WriteWith((session, transaction) =>
        {
            IReadOnlyList<Passage> fresh = [];
            // Seqs handled per agent: stored passages and dead-lettered ones alike, recorded once per agent.
            var handled = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
            if (passageRows.Count > 0)
            {
                var inserted = PassageInsert.RunReturningNewKeys(session, transaction, passageRows, r => r.GetGuid(0));
                fresh = unique.Select(b => b.Passage).Where(p => inserted.Contains(p.EventId)).ToList();
                // Every passage of the batch is stored now, the new ones and those stored before under the same event id
                // (a re-send, perhaps under another number): each one's seq is handled.
                foreach (var (p, _) in batch.Passages) Handled(p.AgentId).Add(p.Seq);
                if (fresh.Count > 0) HourlyCountUpsert.Run(session, transaction, HourlyRows(fresh));
            }
            foreach (var (letter, seq) in batch.DeadLetters)
            {
                InsertDeadLetter(session, transaction, letter);
                if (seq is long s) Handled(letter.AgentId!).Add(s);
            }
            foreach (var (agent, seq) in batch.HandledSeqs) Handled(agent).Add(seq);
            foreach (var (agent, seqs) in handled) SeqRanges.Record(session, transaction, agent, seqs);
            var noLongerAwaited = new List<(string, SeqRange)>();
            foreach (var (agent, through) in batch.ConfirmedThrough)
                noLongerAwaited.AddRange(SeqRanges.RecordThrough(session, transaction, agent, through).Select(r => (agent, r)));
            if (transitRows.Count > 0) TransitUpsert.Run(session, transaction, transitRows);
            if (alarmHistory.Count > 0)
            {
                AlarmHistoryInsert.Run(session, transaction, alarmHistory);
                AlarmCurrentUpsert.Run(session, transaction, alarmCurrent);
            }
            if (batch.PublishedAlarms.Count > 0) MarkPublished(session, transaction, batch.PublishedAlarms);
            return new StoreBatchResult(fresh, noLongerAwaited);

            HashSet<long> Handled(string agent) =>
                handled.TryGetValue(agent, out var set) ? set : handled[agent] = [];
        });
    }

    /// <summary>New passages counted per UTC hour of capture and kind, each key once (one statement may not update a row twice).</summary>
    private static List<object?[]> HourlyRows(IReadOnlyList<Passage> fresh) =>
        fresh.GroupBy(p => (Hour: p.CapturedAt.UtcTicks - p.CapturedAt.UtcTicks % TimeSpan.TicksPerHour, p.Site, p.Bore, p.Portal, p.Vehicle.Class, p.Vehicle.Hazmat))
            .Select(g => (object?[])
            [
                new DateTimeOffset(g.Key.Hour, TimeSpan.Zero), g.Key.Site, g.Key.Bore, TunnelJson.Name(g.Key.Portal), TunnelJson.Name(g.Key.Class),
                g.Key.Hazmat, (long)g.Count(),
            ]).ToList();

    private static object?[] PassageRow(Passage p, DateTimeOffset receivedAt) =>
    [
        p.EventId, p.AgentId, p.Seq, p.Site, p.Bore, TunnelJson.Name(p.Portal), p.Lane, p.CapturedAt, receivedAt,
        p.Plate?.Text, p.Plate is null ? null : TunnelJson.Name(p.Plate.Color), TunnelJson.Name(p.Vehicle.Class), p.Vehicle.Hazmat,
        TunnelJson.Serialize(p),
    ];

    /// <summary>
    /// Passages captured from <paramref name="fromCapturedAt"/> (and before <paramref name="toCapturedAt"/>), in the
    /// order they were stored: what the central service replays to rebuild its state after a restart.
    /// Read page by page, each page on a short-lived connection, so a long replay blocks nobody.
    /// </summary>
    public IEnumerable<StoredPassage> ReadPassages(DateTimeOffset fromCapturedAt, DateTimeOffset? toCapturedAt = null, BoreKey? bore = null)
    {
        var filter = new Filter()
            .Add("captured_at >= @from", ("@from", Col.Time, fromCapturedAt))
            .AddIf(toCapturedAt is not null, "captured_at < @to", ("@to", Col.Time, toCapturedAt))
            .AddIf(bore is not null, "site = @site AND bore = @bore", ("@site", Col.Text, bore?.Site), ("@bore", Col.Text, bore?.Bore))
            .Add("id > @after");
        var sql = $"SELECT id, json, received_at FROM passages{filter.Where} ORDER BY id LIMIT {PassagePageSize}";
        long after = 0;
        while (true)
        {
            var page = Query(sql, ReadStoredPassage, filter.Parameters(("@after", Col.Long, after)));
            foreach (var passage in page) yield return passage;
            if (page.Count < PassagePageSize) yield break;
            after = page[^1].Id;
        }
    }

    private StoredPassage ReadStoredPassage(DbDataReader r) =>
        new(r.GetInt64(0), TunnelJson.Deserialize<Passage>(r.GetString(1)) ?? throw new InvalidDataException("null passage json in store"), _dialect.ReadTime(r, 2));

    /// <summary>
    /// The number to acknowledge to an agent: the highest seq such that every seq from 1 up to it is
    /// stored (0 if seq 1 is not). The agent may drop everything up to it from its outbox.
    /// </summary>
    public long HighestStoredSeq(string agentId) => Progress(agentId).Contiguous;

    /// <summary>
    /// <see cref="HighestStoredSeq"/> of several agents at once, with the highest seq each has stored, on the write session
    /// (its statements prepared once) and so after every write this instance has committed: what the service's writer
    /// acknowledges after each commit.
    /// </summary>
    public IReadOnlyDictionary<string, StoredSeqs> StoredSeqsOf(IEnumerable<string> agentIds)
    {
        ArgumentNullException.ThrowIfNull(agentIds);
        var agents = agentIds.Distinct(StringComparer.Ordinal).ToList();
        if (agents.Count == 0) return new Dictionary<string, StoredSeqs>();
        return WriteWith((session, transaction) => agents.ToDictionary(a => a,
            a => new StoredSeqs(SeqRanges.Contiguous(session, transaction, a), SeqRanges.Highest(session, transaction, a)), StringComparer.Ordinal));
    }

    /// <summary>The acknowledgeable seq of one agent, with the highest seq seen and the gaps between.</summary>
    public AgentProgress Progress(string agentId) =>
        SeqRanges.Progress(agentId, Read(connection => SeqRanges.Load(_dialect, connection, agentId)));

    /// <summary>Progress of every agent ever seen, for re-sending acknowledgements after a restart.</summary>
    public IReadOnlyList<AgentProgress> AllProgress() =>
        Query("SELECT agent_id, lo, hi FROM agent_seq_ranges ORDER BY agent_id, lo", r => (Agent: r.GetString(0), Range: new SeqRange(r.GetInt64(1), r.GetInt64(2))))
            .GroupBy(x => x.Agent, StringComparer.Ordinal)
            .Select(g => SeqRanges.Progress(g.Key, g.Select(x => x.Range).ToList()))
            .ToList();
}
