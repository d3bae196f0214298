namespace Tunnel.Central.Service;

/// <summary>
/// The service's clock: the system's wall clock as it read at start, carried on by the monotonic clock, so a
/// step of the wall clock (a time server correcting a bad clock at once, a virtual machine resumed) does not
/// move it. Every overdue decision subtracts an entry time from "now": a wall clock stepped 10 minutes ahead
/// would find every vehicle inside 10 minutes late and flood the wall, one stepped back would refuse every
/// passage as from the future and stop all checks. After a step it catches up with the wall clock by at most
/// <see cref="MaxSlew"/> of the time that passes (36 s an hour), as a time server slews a clock: an elapsed
/// time is then off by 1 % at most, far inside the spread of real transit times. The agents take their time
/// from this clock (each acknowledgement carries it), so the whole system keeps one time throughout.
/// </summary>
public sealed class SteadyClock : TimeProvider
{
    /// <summary>How fast the clock may close the gap to the wall clock: a fraction of the time that passes.</summary>
    public const double MaxSlew = 0.01;

    private readonly TimeProvider _system;
    private readonly DateTimeOffset _startedAt;
    private readonly long _startedTimestamp;
    private readonly Lock _gate = new();
    private long _lastTimestamp;
    // Added to the start time plus the monotonic time elapsed: the part of a wall-clock step caught up so far.
    private TimeSpan _caughtUp;

    public SteadyClock(TimeProvider? system = null)
    {
        _system = system ?? System;
        _startedAt = _system.GetUtcNow();
        _startedTimestamp = _lastTimestamp = _system.GetTimestamp();
    }

    /// <summary>The system's wall clock minus this clock: how much of a step of the wall clock is still to be caught up.</summary>
    public TimeSpan Divergence => _system.GetUtcNow() - GetUtcNow();

    public override DateTimeOffset GetUtcNow()
    {
        var now = _system.GetTimestamp();
        var steady = _startedAt + _system.GetElapsedTime(_startedTimestamp, now);
        lock (_gate)
        {
            var most = TimeSpan.FromTicks((long)(_system.GetElapsedTime(_lastTimestamp, now).Ticks * MaxSlew));
            _lastTimestamp = now;
            var gap = _system.GetUtcNow() - steady - _caughtUp;
            _caughtUp += gap.Duration() <= most ? gap : gap > TimeSpan.Zero ? most : -most;
            return steady + _caughtUp;
        }
    }

    public override long GetTimestamp() => _system.GetTimestamp();
    public override long TimestampFrequency => _system.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => _system.LocalTimeZone;
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _system.CreateTimer(callback, state, dueTime, period);
}
