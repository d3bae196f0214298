using System.Data.Common;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

public sealed partial class TunnelStore
{
    /// <summary>Records who did what to what (a view of a vehicle's history, an acknowledgement, a configuration change).</summary>
    public void Audit(string actor, string action, string subject, string? detail, DateTimeOffset at) =>
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (@at, @actor, @action, @subject, @detail)",
            ("@at", Col.Time, at), ("@actor", Col.Text, actor), ("@action", Col.Text, action), ("@subject", Col.Text, subject), ("@detail", Col.Text, detail)));

    /// <summary>Audit entries, newest first, optionally narrowed by time [from, to), actor and subject.</summary>
    public IReadOnlyList<AuditEntry> ReadAudit(DateTimeOffset? from = null, DateTimeOffset? to = null, string? actor = null, string? subject = null, int limit = 1_000)
    {
        var filter = new Filter()
            .AddIf(from is not null, "at >= @from", ("@from", Col.Time, from))
            .AddIf(to is not null, "at < @to", ("@to", Col.Time, to))
            .AddIf(actor is not null, "actor = @actor", ("@actor", Col.Text, actor))
            .AddIf(subject is not null, "subject = @subject", ("@subject", Col.Text, subject));
        return Query($"SELECT id, at, actor, action, subject, detail FROM audit_log{filter.Where} ORDER BY at DESC, id DESC LIMIT @limit",
            r => new AuditEntry(r.GetInt64(0), _dialect.ReadTime(r, 1), r.GetString(2), r.GetString(3), r.GetString(4), NullableString(r, 5)),
            filter.Parameters(("@limit", Col.Int, limit)));
    }

    /// <summary>
    /// Keeps a rejected message; the payload is cut to <see cref="DeadLetter.MaxStoredPayloadBytes"/>, its real length kept.
    /// With <paramref name="handledSeq"/> the rejected passage's seq counts as handled for <see cref="DeadLetter.AgentId"/>
    /// (recorded in the same transaction as the dead letter), so the contiguous acknowledgement can move past it and
    /// the agent's outbox drains: the message is kept here, re-sending it would only be rejected again.
    /// </summary>
    public void AddDeadLetter(DeadLetter letter, long? handledSeq = null) => Store(new StoreBatch { DeadLetters = [(letter, handledSeq)] });

    private static void InsertDeadLetter(WriteSession session, System.Data.Common.DbTransaction transaction, DeadLetter letter)
    {
        var payload = letter.Payload.Length > DeadLetter.MaxStoredPayloadBytes ? letter.Payload[..DeadLetter.MaxStoredPayloadBytes] : letter.Payload;
        session.Execute(transaction,
            """
            INSERT INTO dead_letters (received_at, topic, agent_id, reason_code, reason, payload, original_length)
            VALUES (@at, @topic, @agent, @code, @reason, @payload, @length)
            """,
            ("@at", Col.Time, letter.ReceivedAt), ("@topic", Col.Text, letter.Topic), ("@agent", Col.Text, letter.AgentId),
            ("@code", Col.Text, letter.ReasonCode), ("@reason", Col.Text, letter.Reason), ("@payload", Col.Bytes, payload),
            ("@length", Col.Int, letter.OriginalLength ?? letter.Payload.Length));
    }

    /// <summary>The most recent dead letters, newest first.</summary>
    public IReadOnlyList<DeadLetter> ReadDeadLetters(int limit) =>
        Query("SELECT id, received_at, topic, agent_id, reason_code, reason, payload, original_length FROM dead_letters ORDER BY id DESC LIMIT @limit",
            ReadDeadLetter, ("@limit", Col.Int, limit));

    private DeadLetter ReadDeadLetter(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        ReceivedAt = _dialect.ReadTime(r, 1),
        Topic = r.GetString(2),
        AgentId = NullableString(r, 3),
        ReasonCode = r.GetString(4),
        Reason = r.GetString(5),
        Payload = r.IsDBNull(6) ? [] : r.GetFieldValue<byte[]>(6),
        OriginalLength = r.GetInt32(7),
    };

    public IReadOnlyDictionary<string, long> DeadLetterCountsByReason() =>
        Query("SELECT reason_code, COUNT(*) FROM dead_letters GROUP BY reason_code", r => (Code: r.GetString(0), Count: Convert.ToInt64(r.GetValue(1))))
            .ToDictionary(x => x.Code, x => x.Count, StringComparer.Ordinal);

    /// <summary>Rejected messages per agent received since <paramref name="since"/>: a camera misreading, or one whose clock is off, at a glance.</summary>
    public IReadOnlyDictionary<string, long> DeadLettersPerAgent(DateTimeOffset since) =>
        Query("SELECT agent_id, COUNT(*) FROM dead_letters WHERE received_at >= @since AND agent_id IS NOT NULL GROUP BY agent_id",
                r => (Agent: r.GetString(0), Count: Convert.ToInt64(r.GetValue(1))), ("@since", Col.Time, since))
            .ToDictionary(x => x.Agent, x => x.Count, StringComparer.Ordinal);

    /// <summary>Saves (or replaces) a configuration document such as the sites file.</summary>
    public void SaveConfig(string key, string json, DateTimeOffset at) =>
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            """
            INSERT INTO config_documents (config_key, json, updated_at) VALUES (@key, @json, @at)
            ON CONFLICT (config_key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at
            """,
            ("@key", Col.Text, key), ("@json", Col.Text, json), ("@at", Col.Time, at)));

    public string? LoadConfig(string key) =>
        Query("SELECT json FROM config_documents WHERE config_key = @key", r => r.GetString(0), ("@key", Col.Text, key)).FirstOrDefault();
}
