namespace Tunnel.Central.Overdue;

/// <summary>
/// The levels of evidence (natural-log likelihood ratios: "stopped" against "moving, or left unseen")
/// at which Tunnel acts. Chosen for a false-alarm budget of about one per bore per day; see README.
/// </summary>
public sealed record DetectorSettings
{
    /// <summary>Evidence needed to raise an overdue alarm for an ordinary vehicle.</summary>
    public double AlarmLevel { get; init; } = 8.5;
    /// <summary>
    /// Hazmat vehicles: tighter, and their alarms are critical. 8.0 rather than 7.5 (twenty-seventh session, 120 simulated
    /// days): hazmat tankers crawling at their speed floor after a lane change made 31 of the 160 false alarms of seeds 1 to
    /// 80 (17 at 8.0), each one critical; the hazmat stops' median delay goes from 150.7 to 152.2 s.
    /// </summary>
    public double HazmatAlarmLevel { get; init; } = 8.0;

    /// <summary>The evidence at which a vehicle is alarmed.</summary>
    public double AlarmLevelFor(bool hazmat) => hazmat ? HazmatAlarmLevel : AlarmLevel;
    /// <summary>Cost of "its exit plate was unread or misread beyond matching" (about 5 % of exits).</summary>
    public double UnmatchedExitCost { get; init; } = 3.0;
    /// <summary>Cost of "an exit passage that belongs to no vehicle that entered" (a camera's false trigger on top of an unread entry).</summary>
    public double PhantomExitCost { get; init; } = 8.0;
    /// <summary>An unmatched exit closes a vehicle's transit only when it explains it at most this badly.</summary>
    public double InferredExitMaxCost { get; init; } = 7.5;
    /// <summary>Two vehicles an unmatched exit fits within this much of each other are indistinguishable by it.</summary>
    public double AmbiguityMargin { get; init; } = 1.0;
    /// <summary>
    /// Two vehicles whose need of a late exit passage (what their best other story costs more) is within
    /// this much of each other are indistinguishable by it until it comes (see <c>OverdueEvidence.Displacement</c>;
    /// where both would look stopped without it, one alarm names both meanwhile).
    /// 1 nat, as for unmatched exits: at 2, eight stopped vehicles of the ten simulated days waited up to
    /// 46 s for passages that others needed more, with the same false alarms; at 0, nine false alarms more.
    /// </summary>
    public double GapRivalMargin { get; init; } = 1.0;
    /// <summary>Least cost of "its exit passage is the one missing from an exit camera's sequence gap" (see <c>OverdueEvidence.GapIsItsExit</c>).</summary>
    public double LateExitCost { get; init; } = 0;
    /// <summary>Prior for how often a later entrant of a lane leaves before a vehicle that kept the lane and did not stop.</summary>
    public double OrderViolationPrior { get; init; } = 0.005;
    /// <summary>Prior for how often a vehicle leaves by another lane than it entered (prohibited inside, happens anyway).</summary>
    public double LaneChangePrior { get; init; } = 0.03;
    /// <summary>How many observations the priors are worth before the bore's own traffic takes over.</summary>
    public double PriorWeight { get; init; } = 200;
    /// <summary>
    /// An entrant of another lane this much later than a vehicle entered after it (the lanes' entry
    /// cameras may disagree by a few seconds): its leaving first then speaks against "changed lanes and
    /// drove on", as far as steady speeds say it must have overtaken the vehicle before the change.
    /// </summary>
    public TimeSpan OtherLaneMargin { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// Where a vehicle's time does not count (congestion, the queue behind an alarm), vehicles crawl and
    /// zip together and no steady speed says where they overtook: only an entrant of another lane this
    /// much later was surely behind it all the way.
    /// </summary>
    public TimeSpan CrawlLaneMargin { get; init; } = TimeSpan.FromSeconds(45);
    /// <summary>
    /// Share of the bore by which each later entrant's point of "it changed lanes here" is moved in the
    /// story's favour. Steady speeds say where an entrant of another lane overtook a lane changer, or
    /// where one of its own lane was let go by it, but vehicles speed up and slow down behind one another:
    /// a slow truck that changed lanes late, its own lane's followers let go just before the exit, looked
    /// stopped for lack of a few hundred metres. Measured over thirty simulated days with the alarm level:
    /// at 0.05 and 8.5, 52 false alarms and a median of 152 s, against 61 and 153 s at 0 and 9.0, and
    /// 101 and 150 s at 0 and 8.5 (docs/detection-history.md).
    /// </summary>
    public double ChangePointTolerance { get; init; } = 0.05;
    /// <summary>An open transit is dropped after this long (its alarm, if any, stays with the operators).</summary>
    public TimeSpan MaxTracked { get; init; } = TimeSpan.FromHours(12);
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
