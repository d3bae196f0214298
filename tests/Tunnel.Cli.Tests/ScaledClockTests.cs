using Tunnel.Cli.Demo;

namespace Tunnel.Cli.Tests;

public class ScaledClockTests
{
    /// <summary>A real clock that moves only when told, and remembers the timers made on it.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public DateTimeOffset Epoch { get; } = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
        public List<(TimeSpan Due, TimeSpan Period)> Timers { get; } = [];
        public List<(TimeSpan Due, TimeSpan Period)> Changes { get; } = [];
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
        public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(_ticks);
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Timers.Add((dueTime, period));
            return new Timer(this);
        }

        private sealed class Timer(ManualClock owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) { owner.Changes.Add((dueTime, period)); return true; }
            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Fact]
    public void Starts_at_the_real_time_and_runs_speed_times_faster()
    {
        var real = new ManualClock();
        var clock = new ScaledClock(30, real);
        Assert.Equal(real.Epoch, clock.GetUtcNow());
        real.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(real.Epoch + TimeSpan.FromMinutes(1), clock.GetUtcNow());
        real.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(real.Epoch + TimeSpan.FromMinutes(6), clock.GetUtcNow());
    }

    [Fact]
    public void Measured_intervals_are_scaled_like_the_time_of_day()
    {
        var real = new ManualClock();
        var clock = new ScaledClock(4, real);
        var start = clock.GetTimestamp();
        real.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(20), clock.GetElapsedTime(start));
    }

    [Fact]
    public void Speed_one_is_the_real_clock()
    {
        var real = new ManualClock();
        var clock = new ScaledClock(1, real);
        real.Advance(TimeSpan.FromMinutes(7));
        Assert.Equal(real.GetUtcNow(), clock.GetUtcNow());
    }

    [Fact]
    public void Timers_fire_after_the_real_equivalent_of_their_scaled_period()
    {
        var real = new ManualClock();
        var clock = new ScaledClock(10, real);
        using var timer = clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(25)), real.Timers.Single());
        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.Equal((TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan), real.Changes.Single());
    }

    [Fact]
    public void Never_and_now_keep_their_meaning()
    {
        var real = new ManualClock();
        var clock = new ScaledClock(0.5, real);
        using var _ = clock.CreateTimer(_ => { }, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        Assert.Equal((TimeSpan.Zero, Timeout.InfiniteTimeSpan), real.Timers.Single());
    }

    [Fact]
    public async Task Task_delay_on_the_clock_waits_the_scaled_time()
    {
        var clock = new ScaledClock(1000);
        var before = clock.GetUtcNow();
        var real = TimeProvider.System.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(20), clock);
        // 20 scaled seconds are 20 real milliseconds. Real timers may fire a millisecond or so early
        // against the wall clock, which the scale multiplies: hence the margin.
        Assert.True(clock.GetUtcNow() - before >= TimeSpan.FromSeconds(15), $"{clock.GetUtcNow() - before}");
        Assert.True(TimeProvider.System.GetElapsedTime(real) < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Rejects_a_speed_that_is_not_positive(double speed) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScaledClock(speed));
}
