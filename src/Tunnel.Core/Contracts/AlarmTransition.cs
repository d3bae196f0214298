namespace Tunnel.Core.Contracts;

/// <summary>
/// One change of one alarm (schema <c>tunnel.alarm.v1</c>), published on <c>tunnel/v1/{site}/alarms</c>
/// and written by <c>tunnel replay</c>. <see cref="AlarmId"/> stays the same through an alarm's life.
/// </summary>
public sealed record AlarmTransition
{
    public const string SchemaId = "tunnel.alarm.v1";

    public string Schema { get; init; } = SchemaId;
    public required Guid AlarmId { get; init; }
    public required AlarmKind Kind { get; init; }
    public required AlarmState State { get; init; }
    public required AlarmPriority Priority { get; init; }
    public required string Site { get; init; }
    public required string Bore { get; init; }
    /// <summary>Plate as read at entry; <c>null</c> for an unread vehicle and for bore- or agent-wide alarms.</summary>
    public string? Plate { get; init; }
    public required DateTimeOffset At { get; init; }

    // Context for the people who handle the alarm.
    public Guid? EntryEventId { get; init; }
    public int? Lane { get; init; }
    public DateTimeOffset? EnteredAt { get; init; }
    public double? ElapsedSeconds { get; init; }
    public VehicleClass? VehicleClass { get; init; }
    public PlateColor? PlateColor { get; init; }
    public bool? Hazmat { get; init; }
    public string? AgentId { get; init; }
    /// <summary>Why, in English: the sentence of <see cref="ReasonCode"/>, or an operator's words; what to show when the code is absent or unknown.</summary>
    public string? Reason { get; init; }
    /// <summary>The reason as a kebab-case code (<see cref="AlarmReason"/>); absent in messages and rows written before codes.</summary>
    public string? ReasonCode { get; init; }
    /// <summary>The code's arguments, all strings (<see cref="AlarmReason.Args"/>); absent when it takes none.</summary>
    public IReadOnlyDictionary<string, string>? ReasonArgs { get; init; }
    public string? By { get; init; }
    public string? Note { get; init; }
    public DateTimeOffset? ShelvedUntil { get; init; }
    /// <summary>
    /// An overdue alarm's second suspect: a vehicle an unread exit fits as well as this one, so that
    /// one of the two left by it and the other is still inside. Null when the alarm names one vehicle.
    /// </summary>
    public AlarmAlternative? Alternative { get; init; }

    /// <summary>This transition with <paramref name="reason"/> as its reason: sentence, code and arguments together.</summary>
    public AlarmTransition WithReason(AlarmReason reason) => this with
    {
        Reason = reason.Text, ReasonCode = reason.Code, ReasonArgs = reason.Args.Count > 0 ? reason.Args : null,
    };
}

/// <summary>The other vehicle an overdue alarm may be about (<see cref="AlarmTransition.Alternative"/>).</summary>
/// <param name="PlateColor">As read at entry; null where unread, and in transitions stored before it was carried.</param>
/// <param name="Hazmat">As seen at entry; null in transitions stored before it was carried.</param>
public sealed record AlarmAlternative(string? Plate, Guid EntryEventId, int Lane, DateTimeOffset EnteredAt, VehicleClass VehicleClass,
    PlateColor? PlateColor = null, bool? Hazmat = null);
