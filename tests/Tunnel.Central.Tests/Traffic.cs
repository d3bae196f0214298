using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>A hand-driven bore for tests: passages built by a few words, alarms collected.</summary>
internal sealed class Traffic
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly Dictionary<string, long> _seq = [];

    public Traffic(DetectorSettings? settings = null)
    {
        Engine = new TunnelEngine(SitesFile.Maoliling, settings ?? new DetectorSettings(), Alarms.Add);
    }

    public TunnelEngine Engine { get; }
    public List<AlarmTransition> Alarms { get; } = [];
    public BoreMonitor North => Engine.Bores[new BoreKey("maoliling", "north")];

    public IEnumerable<AlarmTransition> Raised(AlarmKind kind) =>
        Alarms.Where(a => a.Kind == kind && a.State == AlarmState.ActiveUnacknowledged).GroupBy(a => a.AlarmId).Select(g => g.First());

    public Passage Entry(double atSeconds, string? plate, int lane = 1, VehicleClass cls = VehicleClass.Car, bool hazmat = false) =>
        Send(Make(Portal.Entry, atSeconds, plate, lane, cls, hazmat));

    public Passage Exit(double atSeconds, string? plate, int lane = 1, VehicleClass cls = VehicleClass.Car, bool deliver = true) =>
        deliver ? Send(Make(Portal.Exit, atSeconds, plate, lane, cls, false)) : Make(Portal.Exit, atSeconds, plate, lane, cls, false);

    public Passage Send(Passage p, double? deliveredAtSeconds = null)
    {
        var now = deliveredAtSeconds is { } d ? T0.AddSeconds(d) : p.CapturedAt;
        Engine.Process(p, now > Engine.Now ? now : Engine.Now);
        return p;
    }

    /// <summary>The exit agent of <paramref name="lane"/> says the last sequence number it gave (its status).</summary>
    public void ExitStatus(double atSeconds, int lane)
    {
        var agent = $"maoliling-north-exit-{lane}";
        Engine.Process(new AgentStatus
        {
            AgentId = agent, Online = true, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = lane,
            LastSeq = _seq.GetValueOrDefault(agent), At = T0.AddSeconds(atSeconds),
        }, T0.AddSeconds(atSeconds));
    }

    public void Clock(double atSeconds) => Engine.AdvanceTo(T0.AddSeconds(atSeconds));

    /// <summary>Normal traffic to teach the bore what a transit looks like: n vehicles, one every gap seconds, each lane FIFO, transits spread over <paramref name="spread"/> seconds.</summary>
    public double Warmup(int n, double startSeconds = 0, double gap = 6, double transit = 165, double spread = 15)
    {
        var rng = new Random(7);
        var t = startSeconds;
        var pending = new List<(double exitAt, string plate, int lane)>();
        double lastExit1 = 0, lastExit2 = 0;
        for (var i = 0; i < n; i++)
        {
            var lane = 1 + i % 2;
            var plate = $"浙A{i:D5}";
            var exitAt = t + transit + rng.NextDouble() * spread;
            // First in, first out in each lane.
            if (lane == 1) exitAt = lastExit1 = Math.Max(exitAt, lastExit1 + 2); else exitAt = lastExit2 = Math.Max(exitAt, lastExit2 + 2);
            pending.Add((exitAt, plate, lane));
            Entry(t, plate, lane);
            foreach (var due in pending.Where(p => p.exitAt <= t).OrderBy(p => p.exitAt).ToList())
            {
                Exit(due.exitAt, due.plate, due.lane);
                pending.Remove(due);
            }
            t += gap;
        }
        foreach (var due in pending.OrderBy(p => p.exitAt)) Exit(due.exitAt, due.plate, due.lane);
        return pending.Count == 0 ? t : pending.Max(p => p.exitAt);
    }

    private Passage Make(Portal portal, double atSeconds, string? plate, int lane, VehicleClass cls, bool hazmat)
    {
        var agent = $"maoliling-north-{(portal == Portal.Entry ? "entry" : "exit")}-{lane}";
        _seq[agent] = _seq.GetValueOrDefault(agent) + 1;
        return new Passage
        {
            EventId = Guid.NewGuid(), AgentId = agent, Seq = _seq[agent], Site = "maoliling", Bore = "north",
            Portal = portal, Lane = lane, CameraId = $"cam-{lane}", CapturedAt = T0.AddSeconds(atSeconds),
            Plate = plate is null ? null : new PlateRead { Text = plate, Color = cls is VehicleClass.Truck or VehicleClass.Bus ? PlateColor.Yellow : PlateColor.Blue, Confidence = 0.97 },
            Vehicle = new VehicleRead { Class = cls, Confidence = 0.9, Hazmat = hazmat, HazmatConfidence = hazmat ? 0.9 : 0.02 },
        };
    }
}
