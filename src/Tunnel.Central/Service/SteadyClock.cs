namespace Tunnel.Central.Service;

/// <summary>
/// The service's clock: the system's wall clock as it read at start, carried on by the monotonic clock, so a
/// step of the wall clock (a time server correcting a bad clock at once, a virtual machine resumed) does not
/// move it. Every overdue decision subtracts an entry time from "now": a wall clock stepped 10 minutes ahead
/// would find every vehicle inside 10 minutes late and flood the wall, one stepped back would refuse every
/// passage as from the future and stop all checks. The agents take their time from this clock (each
/// acknowledgement carries it), so the whole system keeps one time either way. Time servers slew the
/// monotonic clock as they do the wall clock, so only a step opens a <see cref="Divergence"/>; a restart
/// takes the wall clock again.
/// </summary>
public sealed class SteadyClock : TimeProvider
{
    private readonly TimeProvider _system;
    private readonly DateTimeOffset _startedAt;
    private readonly long _startedTimestamp;

    public SteadyClock(TimeProvider? system = null)
    {
        _system = system ?? System;
        _startedAt = _system.GetUtcNow();
        _startedTimestamp = _system.GetTimestamp();
    }

    /// <summary>The system's wall clock minus this clock: how far the wall clock has stepped since the service started.</summary>
    public TimeSpan Divergence => _system.GetUtcNow() - GetUtcNow();

    public override DateTimeOffset GetUtcNow() => _startedAt + _system.GetElapsedTime(_startedTimestamp);
    public override long GetTimestamp() => _system.GetTimestamp();
    public override long TimestampFrequency => _system.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => _system.LocalTimeZone;
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _system.CreateTimer(callback, state, dueTime, period);
}
