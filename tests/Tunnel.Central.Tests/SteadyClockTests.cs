using Tunnel.Central.Service;

namespace Tunnel.Central.Tests;

/// <summary>The service's clock over a system clock the test moves by hand: the wall clock steps, the monotonic one runs on.</summary>
public sealed class SteadyClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    private sealed class HandClock : TimeProvider
    {
        private long _ticks;
        public TimeSpan WallStep { get; set; }
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override DateTimeOffset GetUtcNow() => Start + WallStep + TimeSpan.FromTicks(_ticks);
    }

    [Fact]
    public void A_step_of_the_wall_clock_is_caught_up_at_one_percent_of_the_time_that_passes_and_no_faster()
    {
        var system = new HandClock();
        var clock = new SteadyClock(system);
        system.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(Start.AddMinutes(1), clock.GetUtcNow());

        system.WallStep = TimeSpan.FromMinutes(10);
        Assert.Equal(Start.AddMinutes(1), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(10), clock.Divergence);

        // An hour on: 36 s of the ten minutes caught up, an elapsed time stretched by 1 %.
        system.Advance(TimeSpan.FromHours(1));
        Assert.Equal(Start.AddMinutes(61).AddSeconds(36), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(36), clock.Divergence);

        // The wall clock steps back again: the clock slows by 1 % instead, and never runs backwards.
        system.WallStep = TimeSpan.Zero;
        var before = clock.GetUtcNow();
        system.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(before + TimeSpan.FromSeconds(99), clock.GetUtcNow());
    }

    [Fact]
    public void Without_a_step_it_is_the_wall_clock()
    {
        var system = new HandClock();
        var clock = new SteadyClock(system);
        for (var i = 0; i < 5; i++)
        {
            system.Advance(TimeSpan.FromSeconds(7.3));
            Assert.Equal(system.GetUtcNow(), clock.GetUtcNow());
        }
        Assert.Equal(TimeSpan.Zero, clock.Divergence);
    }
}
