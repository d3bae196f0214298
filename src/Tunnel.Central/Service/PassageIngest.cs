using System.Diagnostics;
using Tunnel.Central.Engine;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// The one path every passage message takes: validate, decide (the engine), then store behind the
/// decision. What fails validation goes to the dead-letter store with its reason (and its seq, when
/// readable, counts as handled so the agent's acknowledgement moves past it); nothing here throws on
/// bad input. The engine knows the event ids of the last hours, which tells a re-send from a new
/// passage; a passage older than that asks the store first. A re-send of a passage the engine took
/// while the writer had no room for it is stored now, without being decided twice.
/// </summary>
public sealed class PassageIngest(PassageValidator validator, TunnelStore store, TunnelEngine engine, WriteBehind writer)
{
    public long Accepted { get; private set; }
    /// <summary>Re-sends of passages the engine took already, except those <see cref="WriteBehind.TryRecover"/> brings back.</summary>
    public long Duplicates { get; private set; }
    public long DeadLettered { get; private set; }
    public long EngineErrors { get; private set; }
    public string? LastEngineError { get; private set; }
    /// <summary>
    /// Passages from longer ago than the engine remembers that were not taken because the store, which alone can tell
    /// whether they are re-sends, failed. They are not acknowledged, so their agents send them again.
    /// </summary>
    public long Deferred { get; private set; }
    public string? LastStoreError { get; private set; }

    /// <summary>
    /// After the store failed on such a passage, how long the next ones wait without asking it (each ask may wait out a
    /// lock), unless the writer has committed since.
    /// </summary>
    public static readonly TimeSpan AskStoreAgainAfter = TimeSpan.FromSeconds(30);
    /// <summary>How long such a passage waits for a write of the writer's in progress (a commit takes milliseconds).</summary>
    private static readonly TimeSpan WriterBusyLimit = TimeSpan.FromSeconds(2);
    private long _askStoreFrom, _commitsAtStoreError = -1;

    /// <summary>
    /// The same path over a new sites file or a rebuilt engine. The counts carry on: they are the service's
    /// since it started, and a sites edit once made the demo report half its passages as never accepted.
    /// </summary>
    public PassageIngest Over(PassageValidator newValidator, TunnelEngine newEngine) => new(newValidator, store, newEngine, writer)
    {
        Accepted = Accepted, Duplicates = Duplicates, DeadLettered = DeadLettered, EngineErrors = EngineErrors, LastEngineError = LastEngineError,
        Deferred = Deferred, LastStoreError = LastStoreError, _askStoreFrom = _askStoreFrom, _commitsAtStoreError = _commitsAtStoreError,
    };

    public IngestResult Ingest(IReadOnlyList<MqttMessage> batch, DateTimeOffset now)
    {
        var decided = new List<DecidedPassage>(batch.Count);
        var valid = new List<Guid>(batch.Count);
        var agents = new HashSet<(string Site, string Agent)>();
        int rejected = 0, deferred = 0;
        foreach (var message in batch)
        {
            switch (validator.Validate(message.Topic, message.Payload, now))
            {
                case PassageValidation.Accepted ok:
                    agents.Add((ok.Passage.Site, ok.Passage.AgentId));
                    valid.Add(ok.Passage.EventId);
                    switch (Take(ok.Passage, now))
                    {
                        case Taken.Decided: decided.Add(new DecidedPassage(ok.Passage, message.ReceivedTimestamp)); break;
                        case Taken.Deferred: deferred++; break;
                    }
                    break;
                case PassageValidation.Rejected bad:
                    rejected++;
                    DeadLettered++;
                    // A rejected passage whose agent and seq we could read counts as handled for that agent, in the
                    // same write as its dead letter: re-sending it would only be rejected again, and a seq that never
                    // enters the stored range would hold the agent's acknowledgement below it for good.
                    writer.AddDeadLetter(new DeadLetter
                    {
                        ReceivedAt = now, Topic = message.Topic, AgentId = bad.AgentId, ReasonCode = bad.Code,
                        Reason = bad.Message, Payload = message.Payload,
                    }, bad.Seq);
                    if (bad is { AgentId: { } agent, Seq: not null } && PassageTopic.TryParse(message.Topic, out var topic))
                        agents.Add((topic.Site, agent));
                    break;
            }
        }
        Accepted += decided.Count;
        return new IngestResult(decided, batch.Count - rejected - deferred - decided.Count, rejected, agents, valid);
    }

    private enum Taken { Decided, Duplicate, Deferred }

    /// <summary>Feeds a valid passage to the engine and queues it for the store, unless it is a re-send or must wait.</summary>
    private Taken Take(Passage passage, DateTimeOffset now)
    {
        if (engine.HasSeen(passage.EventId))
        {
            // Its body may have been dropped for lack of room, and then this re-send is what gets stored.
            if (!writer.TryRecover(passage, now)) Duplicates++;
            return Taken.Duplicate;
        }
        if (!engine.Remembers(passage))
        {
            // Rare (an outbox emptied after hours offline) and worth a synchronous commit: only the store can tell. While
            // the store fails, such a passage waits for its agent's next re-send: it must not hold up the passages of now.
            if (writer.Failing || (writer.Commits == _commitsAtStoreError && Stopwatch.GetTimestamp() < _askStoreFrom))
            {
                Deferred++;
                return Taken.Deferred;
            }
            try
            {
                if (!writer.TryFlush(WriterBusyLimit))
                {
                    Deferred++;
                    return Taken.Deferred;
                }
                if (store.AddPassages([(passage, now)]).Count == 0)
                {
                    Duplicates++;
                    return Taken.Duplicate;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Deferred++;
                LastStoreError = $"{passage.EventId}: {e.GetType().Name}: {e.Message}";
                _askStoreFrom = Stopwatch.GetTimestamp() + (long)(AskStoreAgainAfter.TotalSeconds * Stopwatch.Frequency);
                _commitsAtStoreError = writer.Commits;
                return Taken.Deferred;
            }
        }
        else writer.AddPassage(passage, now);
        // Queued already: a fault in the engine on one passage must not cost the others their turn.
        try { engine.Process(passage, now); }
        catch (Exception e) when (e is not OutOfMemoryException) { EngineErrors++; LastEngineError = $"{passage.EventId}: {e.GetType().Name}: {e.Message}"; }
        return Taken.Decided;
    }
}

/// <summary>
/// One batch's outcome: <see cref="Decided"/> are the passages the engine took (their store write
/// follows), <see cref="Agents"/> those owed an acknowledgement once the batch is stored, <see cref="Valid"/> the event ids
/// of every passage that passed validation (taken, re-sent or waiting for a re-send).
/// </summary>
public sealed record IngestResult(IReadOnlyList<DecidedPassage> Decided, int Duplicates, int DeadLettered, IReadOnlyCollection<(string Site, string Agent)> Agents,
    IReadOnlyList<Guid> Valid);

/// <summary>A passage the engine took, and when its message reached the service (Stopwatch ticks).</summary>
public readonly record struct DecidedPassage(Passage Passage, long ReceivedTimestamp);
