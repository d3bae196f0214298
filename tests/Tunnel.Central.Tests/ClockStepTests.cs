using System.Collections.Concurrent;
using System.Text;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;
using Xunit.Abstractions;

namespace Tunnel.Central.Tests;

/// <summary>
/// The machine's wall clock steps (a time server's correction, a virtual machine resumed) while the agents' clocks
/// stay right. What the kernel does: the wall clock (GetUtcNow) jumps, the monotonic one (GetTimestamp, the timers)
/// does not. The real service on a private mosquitto and a SQLite store, as in <see cref="LiveCentral"/>, on the
/// <see cref="SteadyClock"/> `tunnel central` gives it. On the stepping clock itself both tests fail: 2 overdue
/// alarms for cars driving normally after a step forward, every passage dead-lettered after a step back.
/// </summary>
public sealed class ClockStepTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;
    private readonly ITestOutputHelper _output;
    private readonly SteppingWallClock _system = new();
    private readonly SteadyClock _clock;
    private readonly ConcurrentQueue<AlarmTransition> _alarms = new();
    private readonly Dictionary<string, long> _seq = [];
    private LiveCentral _live = null!;

    public ClockStepTests(ITestOutputHelper output)
    {
        _output = output;
        _clock = new SteadyClock(_system);
    }

    public async Task InitializeAsync() => _live = await LiveCentral.StartAsync("test-agents", s => s.AlarmChanged += _alarms.Enqueue, _clock);

    public async Task DisposeAsync() => await _live.DisposeAsync();

    /// <summary>A passage stamped by the agent's own (right) clock: <paramref name="agoSeconds"/> before the real now.</summary>
    private async Task Send(Portal portal, int lane, string plate, double agoSeconds)
    {
        var agent = PassageValidator.ConventionalAgentId("maoliling", "north", portal, lane);
        _seq[agent] = _seq.GetValueOrDefault(agent) + 1;
        var passage = new Passage
        {
            EventId = Guid.NewGuid(), AgentId = agent, Seq = _seq[agent], Site = "maoliling", Bore = "north", Portal = portal,
            Lane = lane, CameraId = $"cam-north-{TunnelJson.Name(portal)}-{lane}", CapturedAt = DateTimeOffset.UtcNow.AddSeconds(-agoSeconds),
            Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.97 },
            Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
        };
        await _live.Agent.PublishAsync(Topics.Passage("maoliling", "north", portal), Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage))).WaitAsync(Deadline);
    }

    private void WaitHandled(long passages) =>
        Assert.True(SpinWait.SpinUntil(() => _live.Service.Ingest.Accepted + _live.Service.Ingest.DeadLettered >= passages, Deadline), "passages not handled");

    private List<AlarmTransition> Overdue() => _alarms.Where(a => a.Kind == AlarmKind.Overdue).ToList();

    private void Show(string title)
    {
        _output.WriteLine($"-- {title}: accepted {_live.Service.Ingest.Accepted}, dead-lettered {_live.Service.Ingest.DeadLettered}, snapshot at {_live.Service.Snapshot.At:HH:mm:ss}, real {DateTimeOffset.UtcNow:HH:mm:ss}");
        foreach (var b in _live.Service.Snapshot.Bores.Where(b => b.Inside.Count > 0))
            foreach (var v in b.Inside) _output.WriteLine($"   inside {b.Bore}: {v.Plate} lane {v.Lane} elapsed {v.Elapsed.TotalSeconds:0} s (expected {v.Expected.TotalSeconds:0} s) alarm {v.AlarmId is not null}");
        foreach (var a in _alarms) _output.WriteLine($"   alarm {TunnelJson.Name(a.Kind)} {TunnelJson.Name(a.State)} {TunnelJson.Name(a.Priority)} {a.Plate} at {a.At:HH:mm:ss}: {a.Reason}");
        foreach (var d in _live.Store.ReadDeadLetters(10)) _output.WriteLine($"   dead letter {d.ReasonCode}: {d.Reason}");
    }

    [Fact]
    public async Task After_a_forward_step_of_the_wall_clock_cars_driving_normally_are_not_alarmed_and_the_divergence_is_known()
    {
        // Three cars that entered two minutes ago (usual transit: under three): nothing wrong.
        await Send(Portal.Entry, 1, "浙A10001", agoSeconds: 120);
        await Send(Portal.Entry, 2, "浙A10002", agoSeconds: 118);
        await Send(Portal.Entry, 1, "浙A10003", agoSeconds: 115);
        WaitHandled(3);

        _system.Step(TimeSpan.FromMinutes(10));
        Assert.InRange(_clock.Divergence.TotalMinutes, 9.99, 10.01);
        Assert.InRange((_clock.GetUtcNow() - DateTimeOffset.UtcNow).TotalSeconds, -1, 1);
        // The engine weighs every vehicle inside at the service's "now" of this turn: nobody is ten minutes late.
        var inside = await _live.Service.Post((engine, now) =>
        {
            var elapsed = new List<TimeSpan>();
            foreach (var bore in engine.Bores.Values)
                for (var lane = 1; lane <= 2; lane++)
                    foreach (var t in bore.Matcher.OpenInLane(lane)) elapsed.Add(now - t.EnteredAt);
            return elapsed;
        }).WaitAsync(Deadline);
        Assert.Equal(3, inside.Count);
        Assert.All(inside, elapsed => Assert.InRange(elapsed.TotalSeconds, 114, 150));

        // A car enters now, by its agent's clock, and the three leave on time: all taken, none alarmed.
        await Send(Portal.Entry, 2, "浙A10004", agoSeconds: 0);
        await Send(Portal.Exit, 1, "浙A10001", agoSeconds: 0);
        await Send(Portal.Exit, 2, "浙A10002", agoSeconds: 0);
        await Send(Portal.Exit, 1, "浙A10003", agoSeconds: 0);
        WaitHandled(7);
        var open = await _live.Service.Post((engine, now) => engine.Bores.Values.Sum(b => b.Matcher.OpenCount)).WaitAsync(Deadline);
        Show("after the step");
        Assert.Equal(1, open);
        Assert.Equal(7, _live.Service.Ingest.Accepted);
        Assert.Empty(Overdue());
    }

    [Fact]
    public async Task After_a_backward_step_of_the_wall_clock_no_passage_of_agents_with_right_clocks_is_refused()
    {
        await Send(Portal.Entry, 1, "浙A20001", agoSeconds: 30);
        WaitHandled(1);

        _system.Step(TimeSpan.FromMinutes(-10));
        Assert.InRange(_clock.Divergence.TotalMinutes, -10.01, -9.99);
        await Send(Portal.Entry, 2, "浙A20002", agoSeconds: 0);
        await Send(Portal.Entry, 1, "浙A20003", agoSeconds: 0);
        WaitHandled(3);
        Show("after the step");
        Assert.Equal(0, _live.Service.Ingest.DeadLettered);
        Assert.Equal(3, _live.Service.Ingest.Accepted);
    }
}

/// <summary>A wall clock that can be stepped; timestamps and timers stay on the monotonic clock, as the kernel's do.</summary>
internal sealed class SteppingWallClock : TimeProvider
{
    private long _offsetTicks;

    public void Step(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Volatile.Read(ref _offsetTicks));
}
