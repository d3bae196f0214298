using Tunnel.Agent.Link;

namespace Tunnel.Agent.Tests.Link;

/// <summary>The agent's copy of the central service's clock, on a local clock the test moves by hand.</summary>
public sealed class ServiceClockTests
{
    private static readonly DateTimeOffset ServiceStart = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A wall clock seven minutes fast; its monotonic clock (ticks of 100 ns) is what the test advances.</summary>
    private sealed class HandClock : TimeProvider
    {
        private long _ticks;
        public TimeSpan WallAhead { get; set; } = TimeSpan.FromMinutes(7);
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override DateTimeOffset GetUtcNow() => ServiceStart + WallAhead + TimeSpan.FromTicks(_ticks);
    }

    [Fact]
    public void Takes_the_quickest_acknowledgement_of_the_last_minute_and_a_held_up_one_moves_nothing()
    {
        var local = new HandClock();
        var clock = new ServiceClock(local);
        // Sent at 08:00:00.000 on the service's clock, here 20 ms later.
        local.Advance(TimeSpan.FromMilliseconds(20));
        clock.Observe(ServiceStart, local.GetTimestamp());
        Assert.Equal(ServiceStart, clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(-7) - TimeSpan.FromMilliseconds(20), clock.Offset);

        // Ten seconds on, an acknowledgement held up 300 ms (a busy broker): the clock stays where the quick one put it.
        local.Advance(TimeSpan.FromSeconds(10));
        clock.Observe(ServiceStart + TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(20) - TimeSpan.FromMilliseconds(300), local.GetTimestamp());
        Assert.Equal(ServiceStart + TimeSpan.FromSeconds(10), clock.GetUtcNow());

        // A quicker one (5 ms on its way) moves it forward by the 15 ms the first had lost.
        local.Advance(TimeSpan.FromSeconds(10));
        clock.Observe(ServiceStart + TimeSpan.FromSeconds(20) + TimeSpan.FromMilliseconds(15), local.GetTimestamp());
        Assert.Equal(ServiceStart + TimeSpan.FromSeconds(20) + TimeSpan.FromMilliseconds(15), clock.GetUtcNow());

        // A capture on the local wall clock, moved onto the service's.
        Assert.Equal(clock.GetUtcNow(), clock.FromLocal(local.GetUtcNow()));
    }

    [Fact]
    public void A_step_of_the_local_wall_clock_does_not_move_the_service_time()
    {
        var local = new HandClock();
        var clock = new ServiceClock(local);
        clock.Observe(ServiceStart, local.GetTimestamp());
        local.Advance(TimeSpan.FromSeconds(5));
        // A time server fixes the box's clock at once.
        local.WallAhead = TimeSpan.Zero;
        Assert.Equal(ServiceStart + TimeSpan.FromSeconds(5), clock.GetUtcNow());
        Assert.Equal(TimeSpan.Zero, clock.Offset);
    }

    [Fact]
    public void Before_any_acknowledgement_it_is_the_local_clock_plus_what_was_remembered()
    {
        var local = new HandClock();
        Assert.Equal(local.GetUtcNow(), new ServiceClock(local).GetUtcNow());
        var remembered = new ServiceClock(local, TimeSpan.FromMinutes(-7));
        Assert.False(remembered.Synchronised);
        Assert.Equal(ServiceStart, remembered.GetUtcNow());
    }
}
