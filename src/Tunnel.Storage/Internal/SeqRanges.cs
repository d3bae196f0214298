using System.Data.Common;

namespace Tunnel.Storage.Internal;

/// <summary>
/// Per-agent sequence numbers kept as maximal runs of stored seqs (agent_seq_ranges). A healthy
/// agent has one row; each gap adds one. A batch only rewrites the runs its seqs touch.
/// </summary>
internal static class SeqRanges
{
    public static void Record(WriteSession session, DbTransaction transaction, string agentId, IReadOnlyCollection<long> seqs)
    {
        if (seqs.Count == 0) return;
        Record(session, transaction, agentId, [.. seqs.Select(s => new SeqRange(s, s))]);
    }

    /// <summary>
    /// Counts every seq from 1 through <paramref name="through"/> as handled; returns the ranges of those that were not
    /// (stored nowhere, and from now on awaited no more).
    /// </summary>
    public static List<SeqRange> RecordThrough(WriteSession session, DbTransaction transaction, string agentId, long through)
    {
        if (through <= Contiguous(session, transaction, agentId)) return [];
        // The runs the new one swallows, in order: what lies between them (and after the last) was never stored.
        var missing = new List<SeqRange>();
        var next = 1L;
        foreach (var run in Record(session, transaction, agentId, [new SeqRange(1, through)]).OrderBy(r => r.From))
        {
            if (run.From > next) missing.Add(new SeqRange(next, Math.Min(run.From - 1, through)));
            next = Math.Max(next, run.To + 1);
        }
        if (next <= through) missing.Add(new SeqRange(next, through));
        return missing;
    }

    /// <summary>The highest seq of the agent stored (0 for none), read on the write session.</summary>
    public static long Highest(WriteSession session, DbTransaction transaction, string agentId)
    {
        using var reader = session.Prepared(transaction, "SELECT MAX(hi) FROM agent_seq_ranges WHERE agent_id = @a", ("@a", Col.Text, agentId)).ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) ? Math.Max(0, reader.GetInt64(0)) : 0;
    }

    /// <summary>Merges <paramref name="added"/> into the agent's runs; returns the runs it touched, as they were.</summary>
    private static List<SeqRange> Record(WriteSession session, DbTransaction transaction, string agentId, IReadOnlyList<SeqRange> added)
    {
        // Clamped so that the neighbours of the extreme longs do not overflow.
        var lo = Math.Max(added.Min(r => r.From), long.MinValue + 1) - 1;
        var hi = Math.Min(added.Max(r => r.To), long.MaxValue - 1) + 1;
        var touched = new List<SeqRange>();
        using (var reader = session.Prepared(transaction, "SELECT lo, hi FROM agent_seq_ranges WHERE agent_id = @a AND hi >= @lo AND lo <= @hi",
                   ("@a", Col.Text, agentId), ("@lo", Col.Long, lo), ("@hi", Col.Long, hi)).ExecuteReader())
        {
            while (reader.Read()) touched.Add(new SeqRange(reader.GetInt64(0), reader.GetInt64(1)));
        }
        var merged = Merge(touched.Concat(added));
        // A healthy agent's one run grows at its end: move that row rather than delete it and insert it again.
        if (touched.Count == 1 && merged.Count == 1 && merged[0].From == touched[0].From)
        {
            if (merged[0].To != touched[0].To)
                session.Execute(transaction, "UPDATE agent_seq_ranges SET hi = @hi WHERE agent_id = @a AND lo = @lo",
                    ("@hi", Col.Long, merged[0].To), ("@a", Col.Text, agentId), ("@lo", Col.Long, touched[0].From));
            return touched;
        }
        session.Execute(transaction, "DELETE FROM agent_seq_ranges WHERE agent_id = @a AND hi >= @lo AND lo <= @hi",
            ("@a", Col.Text, agentId), ("@lo", Col.Long, lo), ("@hi", Col.Long, hi));
        foreach (var range in merged)
            session.Execute(transaction, "INSERT INTO agent_seq_ranges (agent_id, lo, hi) VALUES (@a, @lo, @hi)",
                ("@a", Col.Text, agentId), ("@lo", Col.Long, range.From), ("@hi", Col.Long, range.To));
        return touched;
    }

    /// <summary><see cref="Progress"/>'s contiguous seq of one agent, read on the write session: the run holding 1 ends there.</summary>
    public static long Contiguous(WriteSession session, DbTransaction transaction, string agentId)
    {
        using var reader = session.Prepared(transaction, "SELECT hi FROM agent_seq_ranges WHERE agent_id = @a AND lo <= 1 AND hi >= 1",
            ("@a", Col.Text, agentId)).ExecuteReader();
        return reader.Read() ? Math.Max(0, reader.GetInt64(0)) : 0;
    }

    public static List<SeqRange> Merge(IEnumerable<SeqRange> ranges)
    {
        var merged = new List<SeqRange>();
        foreach (var r in ranges.OrderBy(r => r.From))
        {
            // r.From <= last.To is tested first, so last.To + 1 is only reached when it cannot overflow.
            if (merged.Count > 0 && (r.From <= merged[^1].To || r.From == merged[^1].To + 1))
                merged[^1] = merged[^1] with { To = Math.Max(merged[^1].To, r.To) };
            else
                merged.Add(r);
        }
        return merged;
    }

    public static List<SeqRange> Load(Dialect dialect, DbConnection connection, string agentId)
    {
        using var command = dialect.Command(connection, null, "SELECT lo, hi FROM agent_seq_ranges WHERE agent_id = @a ORDER BY lo", ("@a", Col.Text, agentId));
        using var reader = command.ExecuteReader();
        var ranges = new List<SeqRange>();
        while (reader.Read()) ranges.Add(new SeqRange(reader.GetInt64(0), reader.GetInt64(1)));
        return ranges;
    }

    public static AgentProgress Progress(string agentId, IReadOnlyList<SeqRange> ranges)
    {
        var contiguous = ranges.FirstOrDefault(r => r.From <= 1 && r.To >= 1) is { To: >= 1 } first ? first.To : 0;
        var highest = ranges.Count == 0 ? 0 : Math.Max(0, ranges[^1].To);
        var gaps = new List<SeqRange>();
        var covered = contiguous;
        foreach (var r in ranges)
        {
            if (r.To <= covered) continue;
            if (r.From > covered + 1) gaps.Add(new SeqRange(covered + 1, r.From - 1));
            covered = r.To;
        }
        return new AgentProgress(agentId, contiguous, highest, gaps);
    }
}
