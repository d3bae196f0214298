namespace Tunnel.EndToEnd.Tests.Support;

/// <summary>
/// A service clock the test moves by hand. Only the time of day is virtual: timers stay real (the
/// base class's), so the service's 250 ms tick keeps firing and reads the new time at once, which is
/// how a jump of the clock reaches the engine live, without waiting out the jump.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    /// <summary>A start on a whole second, so times survive the store's millisecond precision unchanged.</summary>
    public static ManualClock StartingNow() =>
        new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
}
