using Tunnel.Central.Service;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

public sealed class DeadLetterBudgetTests
{
    private static readonly DateTimeOffset Minute = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    private static DeadLetter Letter(DateTimeOffset at, string? agent, string topic = "tunnel/v1/maoliling/north/entry/passage", int bytes = 1000) =>
        new() { ReceivedAt = at, Topic = topic, AgentId = agent, ReasonCode = "malformed-json", Reason = "not JSON", Payload = new byte[bytes] };

    [Fact]
    public void A_source_past_its_budget_keeps_its_dead_letters_without_payload_while_other_sources_keep_theirs()
    {
        var budget = new DeadLetterBudget(payloadsPerMinute: 3);
        var flood = Enumerable.Range(0, 5).Select(i => budget.Admit(Letter(Minute.AddSeconds(i), "maoliling-north-entry-1"))).ToList();
        var other = budget.Admit(Letter(Minute.AddSeconds(6), "maoliling-south-exit-2", "tunnel/v1/maoliling/south/exit/passage"));

        Assert.All(flood.Take(3), l => Assert.Equal(1000, l.Payload.Length));
        Assert.All(flood.Skip(3), l =>
        {
            Assert.Empty(l.Payload);
            Assert.Equal(1000, l.OriginalLength);
            Assert.Equal("malformed-json", l.ReasonCode);
            Assert.Equal("not JSON (payload not kept: more than 3 rejected from maoliling-north-entry-1 this minute)", l.Reason);
        });
        Assert.Equal(1000, other.Payload.Length);
        Assert.Equal(2, budget.PayloadsDropped);
        // A new minute, a new budget.
        Assert.Equal(1000, budget.Admit(Letter(Minute.AddMinutes(1), "maoliling-north-entry-1")).Payload.Length);
    }

    [Fact]
    public void Without_an_agent_a_source_is_its_portal_so_snapshots_each_on_their_own_topic_share_one_budget()
    {
        var budget = new DeadLetterBudget(payloadsPerMinute: 2);
        var letters = Enumerable.Range(0, 4)
            .Select(i => budget.Admit(Letter(Minute.AddSeconds(i), agent: null, $"tunnel/v1/maoliling/north/exit/snapshot/{Guid.NewGuid()}")))
            .ToList();

        Assert.Equal([1000, 1000, 0, 0], letters.Select(l => l.Payload.Length));
        Assert.Contains("rejected from tunnel/v1/maoliling/north/exit this minute", letters[^1].Reason);
    }

    [Fact]
    public void A_flood_of_large_payloads_keeps_no_more_than_its_sources_bytes_while_a_small_one_from_another_source_keeps_its_payload()
    {
        var budget = new DeadLetterBudget();
        // Refused snapshots as large as the broker lets through, at the count budget's pace.
        var flood = Enumerable.Range(0, 60).Select(i => budget.Admit(new DeadLetter
        {
            ReceivedAt = Minute.AddSeconds(i), Topic = $"tunnel/v1/maoliling/north/exit/snapshot/{Guid.NewGuid()}",
            ReasonCode = "snapshot-unclaimed", Reason = "no room", Payload = new byte[256 * 1024],
        })).ToList();
        var other = budget.Admit(Letter(Minute.AddSeconds(59.5), "maoliling-south-exit-2", "tunnel/v1/maoliling/south/exit/passage"));

        var kept = flood.Where(l => l.Payload.Length > 0).ToList();
        Assert.InRange(kept.Sum(l => Math.Min(l.Payload.Length, DeadLetter.MaxStoredPayloadBytes)), 1, DeadLetterBudget.DefaultBytesPerSourcePerMinute);
        Assert.Same(flood[0], kept[0]); // the first of a minute keeps its payload, however large
        Assert.All(flood.Except(kept), l =>
        {
            Assert.Equal(256 * 1024, l.OriginalLength);
            Assert.Equal("snapshot-unclaimed", l.ReasonCode);
            Assert.Equal("no room (payload not kept: more than 128 KiB of payloads from tunnel/v1/maoliling/north/exit this minute)", l.Reason);
        });
        Assert.Equal(1000, other.Payload.Length);
        Assert.Equal(flood.Count - kept.Count, budget.PayloadsDropped);
    }

    [Fact]
    public void Sources_named_by_their_messages_together_keep_no_more_than_the_overall_bytes_a_minute()
    {
        var budget = new DeadLetterBudget();
        // A hostile agent can name a new agent in every message: each is a source of its own, under its own budget.
        var letters = Enumerable.Range(0, 100)
            .Select(i => budget.Admit(Letter(Minute.AddSeconds(i * 0.5), $"made-up-{i}", bytes: DeadLetter.MaxStoredPayloadBytes)))
            .ToList();

        var kept = letters.Where(l => l.Payload.Length > 0).ToList();
        Assert.InRange(kept.Sum(l => l.Payload.Length), 1, DeadLetterBudget.DefaultBytesPerMinute);
        Assert.All(letters.Except(kept), l =>
        {
            Assert.Equal(DeadLetter.MaxStoredPayloadBytes, l.OriginalLength);
            Assert.Equal("not JSON (payload not kept: more than 512 KiB of payloads from all sources this minute)", l.Reason);
        });
        Assert.Equal(letters.Count - kept.Count, budget.PayloadsDropped);
        // A new minute, a new budget.
        Assert.Equal(1000, budget.Admit(Letter(Minute.AddMinutes(1), "maoliling-north-entry-1")).Payload.Length);
    }
}
