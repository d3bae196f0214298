namespace Tunnel.Cli.Demo;

/// <summary>
/// A clock that runs <see cref="Speed"/> times faster than the real one, from the moment it is made:
/// the demo hands the same instance to the central service (its "now", its timers) and to the
/// simulated agents (capture and delivery times), so passages, overdue decisions and alarm times
/// all agree while an hour of traffic plays in minutes.
/// </summary>
public sealed class ScaledClock : TimeProvider
{
    private readonly TimeProvider _real;
    private readonly DateTimeOffset _origin;
    private readonly long _originTimestamp;

    public ScaledClock(double speed, TimeProvider? real = null)
    {
        if (!double.IsFinite(speed) || speed <= 0) throw new ArgumentOutOfRangeException(nameof(speed), speed, "speed must be a positive number");
        Speed = speed;
        _real = real ?? System;
        _origin = _real.GetUtcNow();
        _originTimestamp = _real.GetTimestamp();
    }

    /// <summary>Scaled seconds per real second.</summary>
    public double Speed { get; }

    /// <summary>The real (and scaled) time the clock started at.</summary>
    public DateTimeOffset Origin => _origin;

    public override TimeZoneInfo LocalTimeZone => _real.LocalTimeZone;

    public override long TimestampFrequency => _real.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => _origin + Scale(_real.GetElapsedTime(_originTimestamp));

    // Stopwatch-style measurements through this provider see scaled time too, like GetUtcNow.
    public override long GetTimestamp() => _originTimestamp + (long)((_real.GetTimestamp() - _originTimestamp) * Speed);

    /// <summary>How long the real clock takes to cover <paramref name="scaled"/> of this clock's time.</summary>
    public TimeSpan ToReal(TimeSpan scaled) => IsSpecial(scaled) ? scaled : TimeSpan.FromTicks((long)Math.Ceiling(scaled.Ticks / Speed));

    /// <summary>The scaled time that passes while the real clock covers <paramref name="real"/>.</summary>
    public TimeSpan Scale(TimeSpan real) => TimeSpan.FromTicks((long)(real.Ticks * Speed));

    // The timers behind PeriodicTimer and Task.Delay(…, provider) fire after the real equivalent of their scaled period.
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(this, _real.CreateTimer(callback, state, ToReal(dueTime), ToReal(period)));

    // Infinite (-1 ms) means "never" and zero means "now"/"no period": both keep their meaning unscaled.
    private static bool IsSpecial(TimeSpan t) => t == Timeout.InfiniteTimeSpan || t == TimeSpan.Zero;

    private sealed class ScaledTimer(ScaledClock clock, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.ToReal(dueTime), clock.ToReal(period));
        public void Dispose() => inner.Dispose();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
