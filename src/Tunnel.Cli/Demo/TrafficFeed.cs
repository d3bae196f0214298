using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Cli.Demo;

/// <summary>What traffic the demo plays.</summary>
public sealed record DemoTrafficOptions
{
    public int Seed { get; init; } = 1;
    /// <summary>Stops per bore per day; far above a real tunnel's dozen so the demo has something to show.</summary>
    public int StopsPerBorePerDay { get; init; } = 96;
    public double PeakVehiclesPerHour { get; init; } = 1500;
    /// <summary>Local hour the diurnal profile starts at; null is the machine's current local time.</summary>
    public int? LocalHour { get; init; }
    /// <summary>
    /// Traffic is simulated window by window (the next one in the background), so the demo runs for as long as it
    /// is left running. Long windows: vehicles of two windows do not see each other, which looks like
    /// overtaking inside a lane at each seam.
    /// </summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(3);
    /// <summary>
    /// The least pre-roll: the simulation starts at least this long before the demo does and its passages so far
    /// are delivered at once, so the bores are already busy and their usual transit known when the view appears.
    /// </summary>
    public TimeSpan MinPreRoll { get; init; } = TimeSpan.FromMinutes(3);
    /// <summary>The most pre-roll, when looking for an early stop to show.</summary>
    /// <remarks>
    /// Short: the pre-roll arrives in one burst, and the central service judges it on its own clock, so a vehicle that
    /// entered long before and whose exit is further down the burst looks overdue for a moment (or a whole bore congested).
    /// </remarks>
    public TimeSpan MaxPreRoll { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How many seeds (from <see cref="Seed"/> on) to try for traffic with a stop early enough to show.</summary>
    public int SeedAttempts { get; init; } = 60;
    /// <summary>The demo starts this long before its first stop of at least <see cref="ShowStopOfAtLeast"/>, if there is one within the pre-roll.</summary>
    public TimeSpan ShowStopAfter { get; init; } = TimeSpan.FromSeconds(45);
    public TimeSpan ShowStopOfAtLeast { get; init; } = TimeSpan.FromMinutes(4);
}

/// <summary>
/// Plays <see cref="TrafficSimulator"/> traffic in real (or scaled) time: hands every passage to its
/// agent at its capture time (the agent stamps event id and sequence number then) and to the broker at
/// its delivery time. The first window is placed so that the demo begins shortly before a vehicle
/// stops inside: the newcomer sees an overdue alarm within minutes, without the traffic being rigged.
/// </summary>
public sealed class TrafficFeed
{
    private readonly SitesFile _sites;
    private readonly DemoTrafficOptions _options;
    private readonly TimeSpan _localOffset;
    private readonly PriorityQueue<Pending, (DateTimeOffset, long)> _captures = new();
    private readonly PriorityQueue<Pending, (DateTimeOffset, long)> _deliveries = new();
    private readonly List<StopTruth> _stops = [];
    private readonly int _seed;
    private long _order;
    private int _windows;
    private DateTimeOffset _nextWindow;
    private Task<List<SimulationResult>> _next;

    public TrafficFeed(SitesFile sites, DemoTrafficOptions options, DateTimeOffset now)
    {
        _sites = sites;
        _options = options;
        _localOffset = options.LocalHour is { } hour ? OffsetShowingHour(now, hour) : TimeZoneInfo.Local.GetUtcOffset(now);

        // Simulate the first window from "now", then slide it back by the pre-roll that puts a stop just ahead.
        _seed = SeedWithEarlyStop(now);
        var first = Simulate(now, 0);
        PreRoll = ChoosePreRoll(first.SelectMany(r => r.Truth.Bores).SelectMany(b => b.Stops), now, options);
        Start = now - PreRoll;
        foreach (var result in first) Enqueue(result, -PreRoll);
        _windows = 1;
        _nextWindow = Start + options.Window;
        _next = SimulateAhead();
    }

    /// <summary>Start of the simulated traffic: before the demo's start by <see cref="PreRoll"/>.</summary>
    public DateTimeOffset Start { get; }
    public TimeSpan PreRoll { get; }
    /// <summary>Ground truth: the stops simulated so far (planned ones included), to compare the alarms with.</summary>
    public IReadOnlyList<StopTruth> Stops => _stops;
    public long Captured { get; private set; }
    public long Delivered { get; private set; }
    public int Undelivered => _deliveries.Count;

    /// <summary>When the next passage is due for delivery.</summary>
    public DateTimeOffset? NextDelivery => _deliveries.TryPeek(out _, out var due) ? due.Item1 : null;

    /// <summary>
    /// Advances to <paramref name="now"/>: queues the next window when its time comes, lets agents capture what
    /// happened up to now (in capture order, so sequence numbers follow it), and returns the passages due for
    /// delivery, each stamped by its agent.
    /// </summary>
    public List<(string AgentId, Passage Passage)> Advance(DateTimeOffset now, Func<string, Passage, Passage> capture)
    {
        // A window is simulated while the one before it plays; it is normally long finished when needed.
        while (_nextWindow <= now + TimeSpan.FromMinutes(1))
        {
            foreach (var result in _next.GetAwaiter().GetResult()) Enqueue(result, TimeSpan.Zero);
            _windows++;
            _nextWindow += _options.Window;
            _next = SimulateAhead();
        }
        while (_captures.TryPeek(out var next, out var at) && at.Item1 <= now)
        {
            _captures.Dequeue();
            next.Stamped = capture(next.Seen.AgentId, next.Seen);
            Captured++;
        }
        var due = new List<(string, Passage)>();
        while (_deliveries.TryPeek(out var next, out var at) && at.Item1 <= now)
        {
            _deliveries.Dequeue();
            // Delivery never precedes capture, so the agent has stamped it already.
            due.Add((next.Seen.AgentId, next.Stamped ?? throw new InvalidOperationException("delivered before captured")));
            Delivered++;
        }
        return due;
    }

    /// <summary>
    /// Everything captured up to <paramref name="now"/> but not yet delivered (the late ones), as an agent
    /// flushes its outbox before shutting down: no sequence gap is left behind for the next run.
    /// </summary>
    public List<(string AgentId, Passage Passage)> CapturedButUndelivered(DateTimeOffset now, Func<string, Passage, Passage> capture)
    {
        var due = Advance(now, capture);
        var rest = new List<(Pending Item, (DateTimeOffset, long) Due)>();
        while (_deliveries.TryDequeue(out var item, out var at))
        {
            if (item.Stamped is { } stamped) { due.Add((item.Seen.AgentId, stamped)); Delivered++; }
            else rest.Add((item, at));
        }
        foreach (var (item, at) in rest) _deliveries.Enqueue(item, at);
        return due;
    }

    /// <summary>
    /// The pre-roll that starts the demo <see cref="DemoTrafficOptions.ShowStopAfter"/> before the first long enough
    /// stop (measured from a simulation started at <paramref name="simulatedFrom"/>), within the allowed range.
    /// </summary>
    public static TimeSpan ChoosePreRoll(IEnumerable<StopTruth> stops, DateTimeOffset simulatedFrom, DemoTrafficOptions options)
    {
        TimeSpan PreRollFor(StopTruth s) => s.StoppedAt - simulatedFrom - options.ShowStopAfter;
        var ordered = stops.OrderBy(s => s.StoppedAt).ToList();
        // A stop long enough to be sure of its alarm if there is one in reach, else simply the first.
        var show = ordered.FirstOrDefault(s => s.ResumedAt - s.StoppedAt >= options.ShowStopOfAtLeast && PreRollFor(s) <= options.MaxPreRoll)
                   ?? ordered.FirstOrDefault();
        if (show is null) return options.MinPreRoll;
        var preRoll = PreRollFor(show);
        return preRoll < options.MinPreRoll ? options.MinPreRoll : preRoll > options.MaxPreRoll ? options.MaxPreRoll : preRoll;
    }

    /// <summary>
    /// The first seed (from the configured one) whose first quarter hour has a long stop the pre-roll can reach,
    /// judged on a short simulation (cheap) of the same traffic; the configured seed when none has, or stops are off.
    /// </summary>
    private int SeedWithEarlyStop(DateTimeOffset now)
    {
        if (_options.StopsPerBorePerDay == 0) return _options.Seed;
        var probe = TimeSpan.FromMinutes(15);
        for (var attempt = 0; attempt < _options.SeedAttempts; attempt++)
        {
            var seed = _options.Seed + attempt;
            var stops = _sites.Sites.Select((site, i) => TrafficSimulator.Run(Options(site, seed + 7919 * i, now, probe) with
            {
                // At least one stop in the probe, placed as in the first slot of the real window.
                StopsPerBorePerDay = Math.Max(_options.StopsPerBorePerDay, (int)Math.Ceiling(TimeSpan.FromDays(1) / probe)),
            })).SelectMany(r => r.Truth.Bores).SelectMany(b => b.Stops).ToList();
            var reach = ChoosePreRoll(stops, now, _options);
            if (stops.Any(st => st.ResumedAt - st.StoppedAt >= _options.ShowStopOfAtLeast && st.StoppedAt - now - _options.ShowStopAfter == reach))
                return seed;
        }
        return _options.Seed;
    }

    private Task<List<SimulationResult>> SimulateAhead()
    {
        var (start, index) = (_nextWindow, _windows);
        return Task.Run(() => Simulate(start, index));
    }

    private List<SimulationResult> Simulate(DateTimeOffset start, int index) =>
        _sites.Sites.Select((site, i) => TrafficSimulator.Run(Options(site, _seed + 7919 * i + index, start, _options.Window))).ToList();

    private SimulationOptions Options(SiteConfig site, int seed, DateTimeOffset start, TimeSpan duration) => new()
    {
        Seed = seed,
        Start = start,
        Duration = duration,
        LocalUtcOffset = _localOffset,
        Site = site.Id,
        Bores = site.Bores,
        PeakVehiclesPerHour = _options.PeakVehiclesPerHour,
        StopsPerBorePerDay = _options.StopsPerBorePerDay,
        // The demo shows stops and their alarms; a whole-bore slowdown is `tunnel simulate`'s business.
        Slowdowns = [],
    };

    /// <summary>Queues a window's passages (and keeps its stops), every time moved by <paramref name="shift"/>.</summary>
    private void Enqueue(SimulationResult result, TimeSpan shift)
    {
        foreach (var delivered in result.Passages)
        {
            var item = new Pending(delivered.Passage with { CapturedAt = delivered.Passage.CapturedAt + shift });
            var order = _order++;
            _captures.Enqueue(item, (item.Seen.CapturedAt, order));
            _deliveries.Enqueue(item, (delivered.DeliverAt + shift, order));
        }
        foreach (var bore in result.Truth.Bores)
            _stops.AddRange(bore.Stops.Select(s => s with
            {
                EnteredAt = s.EnteredAt + shift, StoppedAt = s.StoppedAt + shift, ResumedAt = s.ResumedAt + shift, ExitedAt = s.ExitedAt + shift,
            }));
    }

    /// <summary>The UTC offset under which <paramref name="now"/> reads as <paramref name="hour"/> o'clock (minutes kept).</summary>
    public static TimeSpan OffsetShowingHour(DateTimeOffset now, int hour)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hour);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hour, 23);
        var shift = ((hour - now.UtcDateTime.Hour) % 24 + 24) % 24;
        return TimeSpan.FromHours(shift > 12 ? shift - 24 : shift);
    }

    private sealed class Pending(Passage seen)
    {
        public Passage Seen { get; } = seen;
        public Passage? Stamped { get; set; }
    }
}
