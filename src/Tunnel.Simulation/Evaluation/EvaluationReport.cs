using Tunnel.Core.Contracts;

namespace Tunnel.Simulation.Evaluation;

/// <summary>The targets for the overdue detector; each can be overridden to explore.</summary>
public sealed record EvaluationTargets
{
    public double MinDetectionRate { get; init; } = 0.99;
    public double MaxMedianDelaySeconds { get; init; } = 150;
    public double MaxP95DelaySeconds { get; init; } = 270;
    public double MinUnreadDetectionRate { get; init; } = 0.99;
    /// <summary>Checked for every bore, not on average: one noisy bore is not hidden by a quiet one.</summary>
    public double MaxFalseOverduePerBoreDay { get; init; } = 1;
    public int CongestionAlarmsPerSlowdown { get; init; } = 1;
    public int MaxOverduePerSlowdown { get; init; } = 3;
}

/// <summary>An alarm's first transition: when and for whom it was raised.</summary>
/// <param name="SecondSuspect">The entry event of the other vehicle an overdue alarm names, if it names two.</param>
/// <param name="SecondSuspectAt">When it first named it: on raising, or later, once the other vehicle looked stopped too.</param>
public sealed record AlarmRaise(Guid AlarmId, AlarmKind Kind, string Site, string Bore, string? Plate, Guid? EntryEventId, DateTimeOffset At,
    Guid? SecondSuspect = null, DateTimeOffset? SecondSuspectAt = null);

/// <summary>How one stop was judged: detected by <see cref="Alarm"/>, or missed for <see cref="Miss"/>.</summary>
public sealed record StopOutcome(StopTruth Stop, AlarmRaise? Alarm, string? Miss)
{
    public bool Detected => Alarm is not null && Miss is null;
    public double? DelaySeconds => Detected ? (Alarm!.At - Stop.StoppedAt).TotalSeconds : null;
}

public sealed record DelayStats(int Count, double? MedianSeconds, double? P95Seconds, double? MaxSeconds)
{
    public static DelayStats Of(IEnumerable<double> delays)
    {
        var d = delays.OrderBy(x => x).ToList();
        if (d.Count == 0) return new DelayStats(0, null, null, null);
        var median = d.Count % 2 == 1 ? d[d.Count / 2] : (d[d.Count / 2 - 1] + d[d.Count / 2]) / 2;
        var p95 = d[(int)Math.Ceiling(0.95 * d.Count) - 1];   // nearest rank: never better than an observed delay
        return new DelayStats(d.Count, median, p95, d[^1]);
    }
}

public sealed record StopGroup(IReadOnlyList<StopOutcome> Stops)
{
    public int Total => Stops.Count;
    public int Detected => Stops.Count(s => s.Detected);
    public double? Rate => Total == 0 ? null : (double)Detected / Total;
    public DelayStats Delay => DelayStats.Of(Stops.Where(s => s.Detected).Select(s => s.DelaySeconds!.Value));
    public IEnumerable<StopOutcome> Missed => Stops.Where(s => !s.Detected);
}

/// <summary>An overdue alarm raised for a vehicle that was not stopped at that moment, with what the truth says about why.</summary>
public sealed record FalseAlarm(AlarmRaise Alarm, int? VehicleId, string? TruePlate, string Cause);

public sealed record SlowdownOutcome(SlowdownTruth Slowdown, IReadOnlyList<AlarmRaise> Congestion, IReadOnlyList<AlarmRaise> Overdue);

public sealed record BoreEvaluation
{
    /// <summary><c>site/bore</c>, or <c>all</c> for the overall line.</summary>
    public required string Name { get; init; }
    public required double BoreDays { get; init; }
    public required int Vehicles { get; init; }
    /// <summary>Stops whose entry plate was read (possibly misread), outside slowdowns: the delay targets.</summary>
    public required StopGroup ReadStops { get; init; }
    /// <summary>Stops whose entry plate was unread, outside slowdowns: matched by entry event id only.</summary>
    public required StopGroup UnreadStops { get; init; }
    /// <summary>Stops during a slowdown or its aftermath: reported, judged by the congestion alarm.</summary>
    public required StopGroup CongestionStops { get; init; }
    public required IReadOnlyList<FalseAlarm> FalseOverdue { get; init; }
    public double FalseOverduePerDay => BoreDays > 0 ? FalseOverdue.Count / BoreDays : 0;
    /// <summary>Further overdue alarms for a stop that already had one: noise for the operator, not misses or false alarms.</summary>
    public required int RepeatOverdue { get; init; }
    /// <summary>Overdue alarms, not for a stopped vehicle, raised during a slowdown or its aftermath (not counted as false).</summary>
    public required IReadOnlyList<AlarmRaise> OverdueDuringSlowdowns { get; init; }
    public required IReadOnlyList<SlowdownOutcome> Slowdowns { get; init; }
    public required IReadOnlyList<AlarmRaise> FalseCongestion { get; init; }
}

public sealed record TargetResult(string Name, string Requirement, string Actual, bool Passed);

public sealed record EvaluationReport
{
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public required double Days { get; init; }
    public required IReadOnlyList<BoreEvaluation> Bores { get; init; }
    public required BoreEvaluation Overall { get; init; }
    public required IReadOnlyList<TargetResult> Targets { get; init; }
    /// <summary>Alarms of other kinds, or for bores the truth does not know.</summary>
    public required int IgnoredAlarms { get; init; }
    public bool Passed => Targets.All(t => t.Passed);

    public string Format() => ReportFormatter.Format(this);

    /// <summary>One line per day (read stops, median, p95, false alarms per bore), for the days pooled into one report.</summary>
    public static string FormatDays(IReadOnlyList<(string Day, EvaluationReport Report)> days) => ReportFormatter.FormatDays(days);
}
