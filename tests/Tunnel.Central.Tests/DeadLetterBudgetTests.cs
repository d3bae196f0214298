using Tunnel.Central.Service;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

public sealed class DeadLetterBudgetTests
{
    private static readonly DateTimeOffset Minute = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    private static DeadLetter Letter(DateTimeOffset at, string? agent, string topic = "tunnel/v1/maoliling/north/entry/passage") =>
        new() { ReceivedAt = at, Topic = topic, AgentId = agent, ReasonCode = "malformed-json", Reason = "not JSON", Payload = new byte[1000] };

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
}
