namespace Tunnel.Agent.Link;

/// <summary>
/// The central service's clock as this agent knows it, which is what the agent stamps its passages and
/// statuses with. A transit is an entry agent's time subtracted from an exit agent's: an agent whose own
/// clock is 30 s off turns every vehicle through its portal into a slow one or an impossible one, and one
/// 5 minutes ahead has every passage refused as from the future. Portal networks are often cut off from
/// any time server, so the agent does not rely on its own clock being right.
/// <para>
/// Each live acknowledgement carries the service's time; from the quickest of the last minutes the clock
/// runs on the local monotonic clock, so neither a step of the local wall clock nor an acknowledgement held
/// up somewhere moves it. Before the first acknowledgement it is the local wall clock plus the offset
/// remembered from the last run (an unsynchronised clock keeps its error across a restart), or the local
/// wall clock alone. Camera frames keep the local clock (the tracker measures speeds between them); a
/// passage's capture time is moved onto this clock as it is kept (<see cref="FromLocal"/>).
/// </para>
/// </summary>
public sealed class ServiceClock(TimeProvider local, TimeSpan? rememberedOffset = null)
{
    /// <summary>How long an acknowledgement counts: long enough to meet a quick one, short enough that the two clocks' drift stays in milliseconds.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly long _origin = local.GetTimestamp();
    // The service's time at _origin as each acknowledgement of the window tells it, oldest first. Every acknowledgement
    // is late by its trip through the broker, so each makes the service's clock look behind by that much: the latest-looking
    // estimate is the truest, and one held-up acknowledgement moves nothing.
    private readonly List<(long Timestamp, DateTimeOffset AtOrigin)> _samples = [];
    private DateTimeOffset? _atOrigin;
    private readonly TimeSpan? _remembered = rememberedOffset;

    /// <summary>Whether a live acknowledgement has set this clock during this run.</summary>
    public bool Synchronised { get { lock (_gate) return _atOrigin is not null; } }

    /// <summary>The service's clock minus the local wall clock: what the agent's own clock is off by (null while unknown).</summary>
    public TimeSpan? Offset
    {
        get
        {
            lock (_gate) if (_atOrigin is null) return _remembered;
            return GetUtcNow() - local.GetUtcNow();
        }
    }

    /// <summary>A time read on the local wall clock, on the service's clock instead.</summary>
    public DateTimeOffset FromLocal(DateTimeOffset localTime) => localTime + (Offset ?? TimeSpan.Zero);

    /// <summary>The service said it was <paramref name="serviceAt"/> when the local monotonic clock read <paramref name="timestamp"/>.</summary>
    public void Observe(DateTimeOffset serviceAt, long timestamp)
    {
        var atOrigin = serviceAt - local.GetElapsedTime(_origin, timestamp);
        lock (_gate)
        {
            _samples.Add((timestamp, atOrigin));
            _samples.RemoveAll(x => local.GetElapsedTime(x.Timestamp, timestamp) > Window);
            _atOrigin = _samples.Max(x => x.AtOrigin);
        }
    }

    /// <summary>Now, on the service's clock as far as this agent knows it.</summary>
    public DateTimeOffset GetUtcNow()
    {
        DateTimeOffset? atOrigin;
        lock (_gate) atOrigin = _atOrigin;
        if (atOrigin is { } a) return a + local.GetElapsedTime(_origin);
        return local.GetUtcNow() + (_remembered ?? TimeSpan.Zero);
    }
}
