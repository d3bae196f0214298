namespace Tunnel.Agent.Link;

/// <summary>
/// The central service's clock as this agent knows it, which is what the agent stamps its passages and
/// statuses with. A transit is an entry agent's time subtracted from an exit agent's: an agent whose own
/// clock is 30 s off turns every vehicle through its portal into a slow one or an impossible one, and one
/// 5 minutes ahead has every passage refused as from the future. Portal networks are often cut off from
/// any time server, so the agent does not rely on its own clock being right.
/// <para>
/// Each live acknowledgement carries the service's time; from it the clock runs on the local monotonic
/// clock, so a step of the local wall clock between two acknowledgements does not move it. Before the
/// first acknowledgement it is the local wall clock plus the offset remembered from the last run (an
/// unsynchronised clock keeps its error across a restart), or the local wall clock alone.
/// </para>
/// </summary>
public sealed class ServiceClock(TimeProvider local, TimeSpan? rememberedOffset = null) : TimeProvider
{
    private readonly Lock _gate = new();
    private (DateTimeOffset ServiceAt, long Timestamp)? _anchor;
    private readonly TimeSpan? _remembered = rememberedOffset;

    /// <summary>Whether a live acknowledgement has set this clock during this run.</summary>
    public bool Synchronised { get { lock (_gate) return _anchor is not null; } }

    /// <summary>The service's clock minus the local wall clock: what the agent's own clock is off by (null while unknown).</summary>
    public TimeSpan? Offset
    {
        get
        {
            lock (_gate) if (_anchor is null) return _remembered;
            return GetUtcNow() - local.GetUtcNow();
        }
    }

    /// <summary>The service said it was <paramref name="serviceAt"/> when the local monotonic clock read <paramref name="timestamp"/>.</summary>
    public void Observe(DateTimeOffset serviceAt, long timestamp)
    {
        lock (_gate) _anchor = (serviceAt, timestamp);
    }

    public override DateTimeOffset GetUtcNow()
    {
        (DateTimeOffset ServiceAt, long Timestamp)? anchor;
        lock (_gate) anchor = _anchor;
        if (anchor is { } a) return a.ServiceAt + local.GetElapsedTime(a.Timestamp);
        return local.GetUtcNow() + (_remembered ?? TimeSpan.Zero);
    }

    public override long GetTimestamp() => local.GetTimestamp();
    public override long TimestampFrequency => local.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => local.LocalTimeZone;
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        local.CreateTimer(callback, state, dueTime, period);
}
