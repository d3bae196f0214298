namespace Tunnel.Simulation;

/// <summary>One vehicle's state while a bore is simulated. Times are seconds from the run's start.</summary>
internal sealed class SimVehicle
{
    public required int Id { get; init; }
    public required VehicleKind Kind { get; init; }
    public required TruePlate Plate { get; init; }
    public required double ScheduledEntry { get; init; }
    public required int EntryLane { get; init; }
    /// <summary>How this driver reacts to a slowdown's target speed (some crawl slower, some faster).</summary>
    public required double SlowdownFactor { get; init; }
    public double DesiredMs => Kind.DesiredKmh / 3.6;

    // Plans made before the run
    public double? LaneChangeAtMeters { get; set; }
    public double? StopAtMeters { get; set; }
    public double StopSeconds { get; set; }

    // State during the run
    public int Lane { get; set; }
    public double X { get; set; }
    public bool Stopped { get; set; }
    public bool StopDone { get; set; }
    public bool LaneChanged { get; set; }
    public double SqueezeUntil { get; set; } = double.NaN;
    public double SpeedMs { get; set; }

    // Outcome
    public double EnteredAt { get; set; } = double.NaN;
    public double ExitedAt { get; set; } = double.NaN;
    public double StoppedAt { get; set; } = double.NaN;
    public double ResumedAt { get; set; } = double.NaN;
    public double StandstillSeconds { get; set; }
    public int StopsSqueezedPast { get; set; }
    public int FollowersSqueezedPast { get; set; }
    public int ExitLane { get; set; }
}

/// <summary>A speed cap over a bore for a time window (seconds from start).</summary>
internal sealed record SpeedCap(double From, double To, double SpeedMs);

/// <summary>
/// Kinematic car-following on one bore, stepped at <see cref="Step"/> seconds. Each lane is an ordered list,
/// front first, and each vehicle keeps at least a standstill gap plus a time headway behind its leader, so
/// nobody overtakes inside a lane. Exceptions, both deliberate: illegal lane changers move to the neighbouring
/// lane at a planned position (or, when <c>motivated</c>, at or after it once they have a reason to, see
/// <see cref="ChangeIfMotivated"/>); followers of a stopped vehicle queue behind it, wait for a gap in the other lane
/// (3-15 s when arriving from moving traffic, 1-3.5 s when already queued: a zipper) and then take its place in the order.
/// Speeds change instantly (no acceleration phase); crossing times are interpolated inside a step.
/// </summary>
internal sealed class Motion(double lengthMeters, int lanes, double minEntryHeadway, IReadOnlyList<SpeedCap> caps, Rng rng, bool motivated = false)
{
    public const double Step = 0.5;
    public const double TimeHeadway = 1.2;
    public const double StandstillGap = 2.0;
    /// <summary>
    /// How far behind a stopped vehicle a follower may already merge out: drivers take a gap in the other lane as
    /// soon as they see the lane is blocked, not only at the obstacle's bumper.
    /// </summary>
    private const double MergeZoneMeters = 25.0;
    /// <summary>Below this a follower is already crawling in the queue and only waits for the zipper.</summary>
    private const double QueueSpeedMs = 4.0;

    // The motivated lane changer (LaneChangeModel.Motivated). Rough figures of ordinary driving, not fitted to anything.
    /// <summary>A driver kept below this share of the speed it wants by its leader is held up and looks for a way past.</summary>
    private const double HeldUpFraction = 0.9;
    /// <summary>How far ahead along the other lane a driver judges its traffic (a lit tunnel, headlights, tail lights).</summary>
    private const double LookAheadMeters = 200;
    /// <summary>Speed differences below this (about 4 km/h) are not worth crossing the solid line for.</summary>
    private const double WorthMs = 1.0;
    /// <summary>
    /// A motivated change comes no nearer the exit than this, as the uniform model's planned points: near the portal a
    /// driver waits for the broken line outside rather than cross the solid one under the cameras.
    /// </summary>
    private const double ExitZoneMeters = 300;

    public void Run(IReadOnlyList<SimVehicle> vehicles)
    {
        var order = Enumerable.Range(0, lanes + 1).Select(_ => new List<SimVehicle>()).ToArray();
        var waiting = Enumerable.Range(0, lanes + 1).Select(_ => new Queue<SimVehicle>()).ToArray();
        foreach (var v in vehicles.OrderBy(v => v.ScheduledEntry)) waiting[v.EntryLane].Enqueue(v);

        var lastEntered = Enumerable.Repeat(double.NegativeInfinity, lanes + 1).ToArray();
        var remaining = vehicles.Count;
        var changers = new List<SimVehicle>();
        var lastEntry = vehicles.Count == 0 ? 0 : vehicles.Max(v => v.ScheduledEntry);
        // Even a 60-minute stop during a crawl ends long before this; running past it means the model jammed.
        var giveUpAt = lastEntry + 6 * 3600;
        for (var t = 0.0; remaining > 0; t += Step)
        {
            if (t > giveUpAt) throw new InvalidOperationException($"traffic jammed: {remaining} vehicles never left");
            var cap = CapAt(t);
            for (var lane = 1; lane <= lanes; lane++)
                remaining -= Advance(order[lane], t, cap, changers);
            foreach (var v in changers)
                if (motivated) ChangeIfMotivated(v, order, cap);
                else ChangeLane(v, order);
            changers.Clear();
            for (var lane = 1; lane <= lanes; lane++) lastEntered[lane] = Admit(order[lane], waiting[lane], lastEntered[lane], t, cap);
        }
    }

    private double? CapAt(double t)
    {
        foreach (var c in caps) if (t >= c.From && t < c.To) return c.SpeedMs;
        return null;
    }

    private static double MaxSpeed(SimVehicle v, double? cap) => cap is { } c ? Math.Min(v.DesiredMs, c * v.SlowdownFactor) : v.DesiredMs;

    /// <summary>Furthest <paramref name="v"/> may be at the end of this step behind <paramref name="leader"/>'s new position.</summary>
    private static double Behind(SimVehicle v, SimVehicle leader)
    {
        // x' <= leaderX' - gap0 - T * (x' - x) / step, solved for x'.
        const double k = TimeHeadway / Step;
        return (leader.X - (leader.Kind.LengthMeters + StandstillGap) + k * v.X) / (1 + k);
    }

    /// <summary>Moves one lane forward by one step, front first; returns how many vehicles left the bore.</summary>
    private int Advance(List<SimVehicle> lane, double t, double? cap, List<SimVehicle> changers)
    {
        var exited = 0;
        var t1 = t + Step;
        for (var i = 0; i < lane.Count; i++)
        {
            var v = lane[i];
            if (v.Stopped)
            {
                if (t1 < v.ResumedAt) continue;
                v.Stopped = false;
                v.StopDone = true;
            }

            var limit = double.PositiveInfinity;
            if (i > 0)
            {
                var leader = lane[i - 1];
                limit = Behind(v, leader);
                if (leader.Stopped && leader.X > v.X)
                {
                    // Whoever squeezed past last may still be alongside the stopped vehicle.
                    if (i > 1 && lane[i - 2].X > v.X) limit = Math.Min(limit, Behind(v, lane[i - 2]));
                    if (v.X >= leader.X - leader.Kind.LengthMeters - StandstillGap - MergeZoneMeters)
                    {
                        if (double.IsNaN(v.SqueezeUntil)) v.SqueezeUntil = t + (v.SpeedMs < QueueSpeedMs ? rng.U(1, 3.5) : rng.U(3, 15));
                        if (t1 >= v.SqueezeUntil)
                        {
                            lane[i - 1] = v;
                            lane[i] = leader;
                            v.SqueezeUntil = double.NaN;
                            v.StopsSqueezedPast++;
                            leader.FollowersSqueezedPast++;
                            limit = i > 1 ? Behind(v, lane[i - 2]) : double.PositiveInfinity;
                        }
                    }
                }
            }

            var x0 = v.X;
            var x1 = Math.Max(x0, Math.Min(x0 + MaxSpeed(v, cap) * Step, limit));
            if (v.StopAtMeters is { } stopAt && !v.StopDone && x1 >= stopAt)
            {
                v.StoppedAt = t + Step * Fraction(x0, x1, stopAt);
                v.ResumedAt = v.StoppedAt + v.StopSeconds;
                v.Stopped = true;
                x1 = stopAt;
            }
            if (x1 >= lengthMeters)
            {
                v.ExitedAt = t + Step * Fraction(x0, x1, lengthMeters);
                v.ExitLane = v.Lane;
                v.X = lengthMeters;
                lane.RemoveAt(i--);
                exited++;
                continue;
            }
            v.SpeedMs = (x1 - x0) / Step;
            if (!v.Stopped && v.SpeedMs < 0.5) v.StandstillSeconds += Step;
            v.X = x1;
            if (v.LaneChangeAtMeters is { } changeAt && !v.LaneChanged && !v.Stopped && x1 >= changeAt) changers.Add(v);
        }
        return exited;
    }

    private static double Fraction(double x0, double x1, double at) => x1 > x0 ? Math.Clamp((at - x0) / (x1 - x0), 0, 1) : 1;

    private void ChangeLane(SimVehicle v, List<SimVehicle>[] order)
    {
        var from = order[v.Lane];
        from.Remove(v);
        // Towards the other side: from the slow lane to its neighbour, otherwise to a random neighbour.
        var to = v.Lane == lanes ? lanes - 1 : v.Lane == 1 ? 2 : v.Lane + (rng.Chance(0.5) ? 1 : -1);
        var target = order[to];
        var index = target.FindIndex(o => o.X < v.X);
        target.Insert(index < 0 ? target.Count : index, v);
        v.Lane = to;
        v.LaneChanged = true;
        // The cut-in forces the new follower to brake; Behind() does that on the next step.
    }

    /// <summary>A stopped vehicle keeps the speed of the step it stopped in; to the drivers around it, it stands.</summary>
    private static double Speed(SimVehicle v) => v.Stopped ? 0 : v.SpeedMs;

    /// <summary>
    /// The motivated model: a planned changer past its planned point changes lanes now only if it has a reason to,
    /// judged on everyone's position and speed after this step; otherwise it asks again next step, until
    /// <see cref="ExitZoneMeters"/> before the exit. Real drivers cross a solid line to get past something slow,
    /// (a) when held up by its leader, into a lane with room at its side and, as far as it sees, faster traffic
    /// ahead than its leader (on the left first, as overtaking goes), or (b) to keep right from the fast lane once
    /// the lane to its right is clear of slower vehicles as far as it sees. What the uniform model also does, a fast
    /// car diving in right behind a slow truck, needs neither. A vehicle behind a stopped one keeps to the squeeze
    /// (<see cref="Advance"/>): it goes round and back into its lane, as the uniform model's followers do.
    /// </summary>
    private void ChangeIfMotivated(SimVehicle v, List<SimVehicle>[] order, double? cap)
    {
        if (v.X > lengthMeters - ExitZoneMeters) return;
        var own = order[v.Lane];
        var i = own.IndexOf(v);
        var leader = i > 0 ? own[i - 1] : null;
        if (leader is { Stopped: true } || !double.IsNaN(v.SqueezeUntil)) return;
        var wants = MaxSpeed(v, cap);
        var heldUp = leader is not null && v.SpeedMs < HeldUpFraction * wants;
        foreach (var to in (int[])[v.Lane - 1, v.Lane + 1])
        {
            if (to < 1 || to > lanes) continue;
            var target = order[to];
            var index = target.FindIndex(o => o.X < v.X);
            if (index < 0) index = target.Count;
            var ahead = index > 0 ? target[index - 1] : null;
            var behind = index < target.Count ? target[index] : null;
            // Room at its side: half the usual headway to either neighbour, as a vehicle squeezing into traffic accepts
            // (Admit lets entrants in on the same terms). The new follower then brakes to its headway.
            if (ahead is not null && ahead.X - ahead.Kind.LengthMeters - v.X < StandstillGap + 0.5 * TimeHeadway * v.SpeedMs) continue;
            if (behind is not null && v.X - v.Kind.LengthMeters - behind.X < StandstillGap + 0.5 * TimeHeadway * Speed(behind)) continue;
            var overtake = heldUp && (ahead is null || ahead.X - v.X > LookAheadMeters || Speed(ahead) > Speed(leader!) + WorthMs);
            var keepRight = to > v.Lane && ClearAhead(v, target, index, wants);
            if (!overtake && !keepRight) continue;
            own.RemoveAt(i);
            target.Insert(index, v);
            v.Lane = to;
            v.LaneChanged = true;
            return;
        }
    }

    /// <summary>Whether nobody in <paramref name="lane"/> from <paramref name="index"/> forward, as far as the driver sees, is slower than it wants to go.</summary>
    private static bool ClearAhead(SimVehicle v, List<SimVehicle> lane, int index, double wants)
    {
        for (var k = index - 1; k >= 0 && lane[k].X - v.X <= LookAheadMeters; k--)
            if (Speed(lane[k]) < wants - WorthMs) return false;
        return true;
    }

    /// <summary>Lets waiting vehicles cross the entry line if there is room; returns the lane's last entry time.</summary>
    private double Admit(List<SimVehicle> lane, Queue<SimVehicle> waiting, double lastEntered, double t, double? cap)
    {
        var t1 = t + Step;
        while (waiting.Count > 0 && waiting.Peek().ScheduledEntry < t1)
        {
            var v = waiting.Peek();
            var speed = MaxSpeed(v, cap);
            // A queue at a blocked entry discharges at the minimum headway, not all at once.
            var enter = Math.Max(Math.Max(v.ScheduledEntry, t), lastEntered + minEntryHeadway);
            if (enter >= t1) break;
            var x = speed * (t1 - enter);
            if (lane.Count > 0)
            {
                var tail = lane[^1];
                var room = tail.X - tail.Kind.LengthMeters - StandstillGap - TimeHeadway * speed * 0.5;
                if (room < 0) break;   // the entry is blocked: the vehicle queues outside and enters later
                if (x > room)
                {
                    x = room;
                    enter = t1 - x / speed;
                }
            }
            waiting.Dequeue();
            v.EnteredAt = enter;
            v.X = x;
            v.Lane = v.EntryLane;
            lane.Add(v);
            lastEntered = enter;
        }
        return lastEntered;
    }
}
