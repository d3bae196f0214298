using Tunnel.Central.Engine;
using Tunnel.Core.Validation;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// The one path every passage message takes: validate, store (the idempotent write by event id is
/// the commit point), then feed the new ones to the engine. What fails validation goes to the
/// dead-letter store with its reason (and its seq, when readable, counts as handled so the agent's
/// acknowledgement moves past it); nothing here throws on bad input.
/// </summary>
public sealed class PassageIngest(PassageValidator validator, TunnelStore store, TunnelEngine engine)
{
    public long Accepted { get; private set; }
    public long Duplicates { get; private set; }
    public long DeadLettered { get; private set; }
    public long EngineErrors { get; private set; }
    public string? LastEngineError { get; private set; }

    public IngestResult Ingest(IReadOnlyList<MqttMessage> batch, DateTimeOffset now)
    {
        var valid = new List<(Core.Contracts.Passage, DateTimeOffset)>(batch.Count);
        var agents = new HashSet<(string Site, string Agent)>();
        foreach (var message in batch)
        {
            switch (validator.Validate(message.Topic, message.Payload, now))
            {
                case PassageValidation.Accepted ok:
                    valid.Add((ok.Passage, now));
                    agents.Add((ok.Passage.Site, ok.Passage.AgentId));
                    break;
                case PassageValidation.Rejected bad:
                    DeadLettered++;
                    // A rejected passage whose agent and seq we could read counts as handled for that agent, in the
                    // same write as its dead letter: re-sending it would only be rejected again, and a seq that never
                    // enters the stored range would hold the agent's acknowledgement below it for good.
                    store.AddDeadLetter(new DeadLetter
                    {
                        ReceivedAt = now, Topic = message.Topic, AgentId = bad.AgentId, ReasonCode = bad.Code,
                        Reason = bad.Message, Payload = message.Payload,
                    }, bad.Seq);
                    if (bad is { AgentId: { } agent, Seq: not null } && PassageTopic.TryParse(message.Topic, out var topic))
                        agents.Add((topic.Site, agent));
                    break;
            }
        }
        var fresh = valid.Count == 0 ? [] : store.AddPassages(valid);
        Duplicates += valid.Count - fresh.Count;
        Accepted += fresh.Count;
        foreach (var passage in fresh)
        {
            // Stored already: a fault in the engine on one passage must not cost the others their turn.
            try { engine.Process(passage, now); }
            catch (Exception e) when (e is not OutOfMemoryException) { EngineErrors++; LastEngineError = $"{passage.EventId}: {e.GetType().Name}: {e.Message}"; }
        }
        return new IngestResult(fresh.Count, valid.Count - fresh.Count, batch.Count - valid.Count, agents);
    }
}

public sealed record IngestResult(int Accepted, int Duplicates, int DeadLettered, IReadOnlyCollection<(string Site, string Agent)> Agents);
