using Tunnel.Core.Contracts;

namespace Tunnel.Storage;

/// <summary>A stored passage. <see cref="Id"/> grows in the order passages were stored (receive order).</summary>
public sealed record StoredPassage(long Id, Passage Passage, DateTimeOffset ReceivedAt);

/// <summary>
/// An entry and, once matched, its exit. Keyed by <see cref="EntryEventId"/>; an upsert replaces every column.
/// Times come back as UTC with millisecond precision.
/// </summary>
public sealed record TransitRecord
{
    public required Guid EntryEventId { get; init; }
    public required string Site { get; init; }
    public required string Bore { get; init; }
    public required int Lane { get; init; }
    /// <summary><c>null</c>: read no plate; empty: blanked by the retention purge.</summary>
    public string? Plate { get; init; }
    public PlateColor? PlateColor { get; init; }
    public VehicleClass? VehicleClass { get; init; }
    public bool Hazmat { get; init; }
    public required DateTimeOffset EnteredAt { get; init; }
    public Guid? ExitEventId { get; init; }
    public DateTimeOffset? ExitedAt { get; init; }
    public double? TransitSeconds { get; init; }
    /// <summary>Free text owned by the matcher (how it ended: exact, fuzzy, inferred, ...), ending in <see cref="OverdueMark"/> for a vehicle alarmed as overdue.</summary>
    public required string Status { get; init; }

    /// <summary>Ends the <see cref="Status"/> of a transit whose vehicle was alarmed as overdue: an incident, not a transit time.</summary>
    public const string OverdueMark = "+overdue";
}

public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string Subject, string? Detail);

/// <summary>A rejected message kept for inspection.</summary>
public sealed record DeadLetter
{
    /// <summary>Payloads are cut to this size when stored; <see cref="OriginalLength"/> keeps the real size.</summary>
    public const int MaxStoredPayloadBytes = 64 * 1024;

    /// <summary>Assigned by the store; ignored when adding.</summary>
    public long Id { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required string Topic { get; init; }
    public string? AgentId { get; init; }
    /// <summary>Short machine-readable reason (counted by <c>DeadLetterCountsByReason</c>).</summary>
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }
    /// <summary>The raw bytes, possibly cut to <see cref="MaxStoredPayloadBytes"/>; empty after the retention purge.</summary>
    public required byte[] Payload { get; init; }
    /// <summary>Size of the payload as received; <c>null</c> when adding means <c>Payload.Length</c>.</summary>
    public int? OriginalLength { get; init; }

    public bool Truncated => OriginalLength is int n && n > Payload.Length;
}

/// <summary>Rows whose plate text the retention purge blanked.</summary>
public sealed record PurgeResult(long Passages, long Transits, long AlarmTransitions, long CurrentAlarms, long DeadLetters)
{
    /// <summary>Rows whose operators' text (notes, shelve reasons) had a plate or a phone number masked.</summary>
    public long Texts { get; init; }

    public long Total => Passages + Transits + AlarmTransitions + CurrentAlarms + DeadLetters;
}

/// <summary>An inclusive range of sequence numbers.</summary>
public readonly record struct SeqRange(long From, long To);

/// <summary>
/// What the store holds of one agent's sequence numbers. Agents number their passages from 1.
/// <see cref="Contiguous"/> is the highest k such that every seq in 1..k is stored: the number to
/// acknowledge, so that the agent may drop those from its outbox. <see cref="Gaps"/> are the
/// missing ranges between it and <see cref="Highest"/>.
/// </summary>
public sealed record AgentProgress(string AgentId, long Contiguous, long Highest, IReadOnlyList<SeqRange> Gaps)
{
    /// <summary>Whether the store holds <paramref name="seq"/>: a passage stored, or a rejected one counted as handled.</summary>
    public bool Holds(long seq) => seq >= 1 && seq <= Highest && !Gaps.Any(g => g.From <= seq && seq <= g.To);
}

/// <summary>
/// What the central service's writer stores in one commit (<see cref="TunnelStore.Store"/>): passages with
/// when they were received, dead letters with the seq each counts as handled (or none), ended transits,
/// alarm transitions, and which stored ones have since been published.
/// </summary>
public sealed record StoreBatch
{
    public IReadOnlyList<(Passage Passage, DateTimeOffset ReceivedAt)> Passages { get; init; } = [];
    public IReadOnlyList<(DeadLetter Letter, long? HandledSeq)> DeadLetters { get; init; } = [];
    /// <summary>
    /// Seqs of re-sent passages whose event id is stored already (or earlier in this batch): handled, though no row
    /// is written. A re-send may carry another number than the stored copy (an agent whose outbox was replaced
    /// numbers its waiting passages anew), and the agent's acknowledgement waits for that number.
    /// </summary>
    public IReadOnlyList<(string AgentId, long Seq)> HandledSeqs { get; init; } = [];
    /// <summary>
    /// Per agent, the number through which it holds no passage any more (its status's <c>confirmedThrough</c>): every seq
    /// up to it counts as handled. Numbers the service never stored there were lost with an earlier outbox file, or
    /// stored in a database since restored from a backup or replaced; waiting for them would hold the agent's
    /// acknowledgement back for good.
    /// </summary>
    public IReadOnlyList<(string AgentId, long Through)> ConfirmedThrough { get; init; } = [];
    public IReadOnlyList<TransitRecord> Transits { get; init; } = [];
    public IReadOnlyList<AlarmTransition> Alarms { get; init; } = [];
    /// <summary>Stored alarm transitions the MQTT broker has since accepted.</summary>
    public IReadOnlyList<AlarmTransition> PublishedAlarms { get; init; } = [];
}

/// <summary>
/// What <see cref="TunnelStore.Store"/> did: the passages that were new (not stored before), in batch order, and per agent
/// the seqs <see cref="StoreBatch.ConfirmedThrough"/> stopped awaiting, never stored.
/// </summary>
public sealed record StoreBatchResult(IReadOnlyList<Passage> NewPassages, IReadOnlyList<(string AgentId, SeqRange Seqs)> NoLongerAwaited);

/// <summary>What the service acknowledges to an agent: every seq through <paramref name="Through"/> is stored, and the highest stored is <paramref name="Highest"/>.</summary>
public readonly record struct StoredSeqs(long Through, long Highest);
