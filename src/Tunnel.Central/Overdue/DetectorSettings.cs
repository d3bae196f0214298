namespace Tunnel.Central.Overdue;

/// <summary>
/// The levels of evidence (natural-log likelihood ratios: "stopped" against "moving, or left unseen")
/// at which Tunnel acts. Chosen for a false-alarm budget of about one per bore per day; see README.
/// </summary>
public sealed record DetectorSettings
{
    /// <summary>Evidence needed to raise an overdue alarm for an ordinary vehicle.</summary>
    public double AlarmLevel { get; init; } = 9.0;
    /// <summary>Hazmat vehicles: tighter, and their alarms are critical.</summary>
    public double HazmatAlarmLevel { get; init; } = 7.0;
    /// <summary>Cost of "its exit plate was unread or misread beyond matching" (about 5 % of exits).</summary>
    public double UnmatchedExitCost { get; init; } = 3.0;
    /// <summary>Cost of "its exit passage is one the exit camera has not delivered yet" (a sequence gap).</summary>
    public double LateExitCost { get; init; } = 3.5;
    /// <summary>Cost of leaving by another lane than it entered (lane changes inside are prohibited).</summary>
    public double LaneChangeCost { get; init; } = 3.5;
    /// <summary>Evidence from a later entrant that changed lanes and left first: weak, lane changers pass anyway.</summary>
    public double CrossLaneOvertakeEvidence { get; init; } = 0.5;
    /// <summary>Prior for how often a later entrant of the same lane leaves first although nobody stopped.</summary>
    public double SameLaneOvertakePrior { get; init; } = 0.005;
    public double SameLaneOvertakePriorWeight { get; init; } = 200;
    /// <summary>An overdue alarm turns critical when the vehicle is still inside this long after the alarm.</summary>
    public TimeSpan EscalateAfter { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Share of the recent entrants that look overdue on time alone for the bore to count as congested.</summary>
    public double CongestionShare { get; init; } = 0.3;
    public int CongestionMinVehicles { get; init; } = 4;
    /// <summary>How long a sequence gap of an exit camera may stand for a late passage before it is written off.</summary>
    public TimeSpan GapLifetime { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How long an unmatched exit stays available to explain a vehicle that seems to be inside.</summary>
    public TimeSpan OrphanLifetime { get; init; } = TimeSpan.FromMinutes(30);
}
