using Tunnel.Central.Alarms;
using Tunnel.Central.Matching;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Overdue;

/// <summary>
/// A whole bore running slow (an incident ahead, works, a jam) makes every vehicle overdue by the
/// clock at once. That is one <c>congestion</c> alarm for the bore, and while the bore looks slow to
/// the transit models and until the vehicles caught in it have left, elapsed time is no evidence
/// against any single vehicle: only lane order is, and that still works in a slow tunnel. The models
/// soon learn a crawl as the usual; the alarm itself stays as long as the bore crawls.
/// </summary>
public sealed class CongestionWatch(BoreKey key, DetectorSettings settings, BoreMatcher matcher, AlarmBook alarms)
{
    private const double SlowSurprise = 4.5;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan ClearAfter = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The alarm stays while recent entrants are inside this many times the speed limit's transit (slower than half the
    /// limit on average), after the transit models have taken the crawl for the usual: they do within about 18 minutes,
    /// and every congestion alarm of 120 simulated days cleared 10 to 17 minutes before its 30-minute slowdown ended.
    /// </summary>
    private const double CrawlFactor = 2;

    /// <summary>Raised without the transit models when every lane's recent entrants are inside this many times the speed limit's transit.</summary>
    private const double LaneCrawlFactor = 3;

    private Guid? _alarmId;
    // Far slower than the transit models expect: while so, and for the vehicles caught in it, time is no evidence.
    private bool _slow;
    private DateTimeOffset _lastSlowAt;
    private DateTimeOffset _lastCrawlAt;
    private DateTimeOffset? _endedAt;
    private DateTimeOffset _lastCheck = DateTimeOffset.MinValue;
    private bool _lastResult;

    /// <summary>Whether the bore's congestion alarm is up: from the first slow look until the bore neither looks slow nor crawls.</summary>
    public bool Active => _alarmId is not null;

    /// <summary>Takes over a congestion alarm that was open before a restart, instead of raising a second one.</summary>
    public void Adopt(Guid storedAlarmId)
    {
        if (_alarmId is { } mine && mine != storedAlarmId) alarms.Forget(mine);
        _alarmId = storedAlarmId;
        _slow = true;
    }

    /// <summary>Whether elapsed time may count against this vehicle now.</summary>
    public bool TimeCounts(Transit t)
    {
        if (_slow) return false;
        // The aftermath: vehicles that entered while it was slow, or queued behind them.
        return _endedAt is not { } ended || t.EnteredAt > ended + matcher.Times[1].Median;
    }

    /// <summary>Re-assesses the bore (at most once per second of clock) and raises the alarm when it turns slow; whether it is slow.</summary>
    public bool Check(DateTimeOffset now)
    {
        if (now - _lastCheck < TimeSpan.FromSeconds(1)) return _lastResult || _slow;
        _lastCheck = now;
        _lastResult = IsSlow(now, crawl: null, out var slow, out var recent);
        if (!_lastResult) return _slow;
        _lastSlowAt = now;
        if (_slow) return true;
        _slow = true;
        // Slow again while the alarm still stands for the crawl: the same congestion.
        if (!Active) Raise(now, AlarmReason.Congestion(slow, recent, Window));
        return true;
    }

    private void Raise(DateTimeOffset now, AlarmReason reason)
    {
        _alarmId = Guid.NewGuid();
        _lastCrawlAt = now;
        alarms.Raise(new AlarmTransition
        {
            AlarmId = _alarmId.Value, Kind = AlarmKind.Congestion, State = AlarmState.ActiveUnacknowledged,
            Priority = AlarmPriority.High, Site = key.Site, Bore = key.Bore, At = now,
        }.WithReason(reason));
    }

    /// <summary>
    /// Every lane crawls, however usual that has become to the transit models (a slowdown that begins in a long stop's
    /// queue, which they have learnt from). Every lane, since a queue behind one stopped vehicle is one lane.
    /// </summary>
    private bool CrawlingInEveryLane(DateTimeOffset now, out int slow, out int recent)
    {
        (slow, recent) = (0, 0);
        var crawl = matcher.Config.NominalTransit * LaneCrawlFactor;
        var every = true;
        for (var lane = 1; lane <= matcher.Config.Lanes; lane++)
        {
            var (laneSlow, laneRecent) = Count(lane, now, crawl, crawl, surprising: false);
            every &= Enough(laneSlow, laneRecent);
            (slow, recent) = (slow + laneSlow, recent + laneRecent);
        }
        return every;
    }

    public void Tick(DateTimeOffset now)
    {
        Check(now);
        if (_slow && now - _lastSlowAt > ClearAfter)
        {
            _slow = false;
            _endedAt = now;
        }
        // Raised by the crawl alone, the alarm leaves time counting: the models already take the crawl for the usual.
        if (!Active && CrawlingInEveryLane(now, out var slow, out var recent)) Raise(now, AlarmReason.Crawling(slow, recent, Window, LaneCrawlFactor));
        if (!Active) return;
        if (IsSlow(now, matcher.Config.NominalTransit * CrawlFactor, out _, out _)) _lastCrawlAt = now;
        if (!_slow && now - _lastCrawlAt > ClearAfter)
        {
            alarms.ConditionCleared(_alarmId!.Value, now, AlarmReason.CongestionCleared());
            _alarmId = null;
        }
    }

    /// <summary>
    /// Counts the vehicles that entered within the window, and those of them far slower than usual.
    /// Asked every second of clock, so it reads the lanes' entry order instead of every vehicle: only
    /// one inside longer than the least time any transit model is short of the level can be slow.
    /// With <paramref name="crawl"/>, one inside that long is slow too.
    /// </summary>
    internal bool IsSlow(DateTimeOffset now, TimeSpan? crawl, out int slow, out int recent)
    {
        (slow, recent) = (0, 0);
        var shortest = TimeSpan.MaxValue;
        foreach (var model in matcher.Times)
            if (model.ShortOf(SlowSurprise) is var shortOf && shortOf < shortest) shortest = shortOf;
        if (crawl < shortest) shortest = crawl.Value;
        for (var lane = 1; lane <= matcher.Config.Lanes; lane++)
        {
            var (laneSlow, laneRecent) = Count(lane, now, shortest, crawl, surprising: true);
            (slow, recent) = (slow + laneSlow, recent + laneRecent);
        }
        return Enough(slow, recent);
    }

    /// <summary>
    /// In one lane, the vehicles that entered within the window, and those of them slow: inside <paramref name="crawl"/> or
    /// longer, or (<paramref name="surprising"/>) far slower than their transit model expects. Only one inside
    /// <paramref name="shortest"/> or longer can be slow, so the lane is read from its oldest vehicles up to there.
    /// </summary>
    private (int Slow, int Recent) Count(int lane, DateTimeOffset now, TimeSpan shortest, TimeSpan? crawl, bool surprising)
    {
        var open = matcher.OpenInLane(lane);
        var i = FirstEnteredFrom(open, now - Window);
        var (slow, recent) = (0, open.Length - i);
        for (; i < open.Length && open[i].EnteredAt <= now - shortest; i++)
        {
            var inside = now - open[i].EnteredAt;
            if (open[i].ProbableExit is null && (inside >= crawl || surprising && matcher.TimesFor(open[i]).Reaches(inside, SlowSurprise))) slow++;
        }
        return (slow, recent);
    }

    private bool Enough(int slow, int recent) => slow >= settings.CongestionMinVehicles && slow >= settings.CongestionShare * recent;

    /// <summary>Index of the first vehicle of a lane (in entry order) that entered at or after <paramref name="from"/>.</summary>
    private static int FirstEnteredFrom(ReadOnlySpan<Transit> lane, DateTimeOffset from)
    {
        int lo = 0, hi = lane.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (lane[mid].EnteredAt < from) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
