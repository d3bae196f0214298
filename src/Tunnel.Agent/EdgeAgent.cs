using Microsoft.Extensions.Logging;
using Tunnel.Agent.Link;
using Tunnel.Agent.Outbox;
using Tunnel.Agent.Sources;
using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent;

/// <summary>
/// One camera's agent: frames from the feed, the virtual loop deciding when a vehicle passes,
/// each vehicle kept in the outbox as one passage (with its snapshot) before the link sends it.
/// Capture never waits for the network; the outbox is the only hand-over between the two.
/// </summary>
public sealed class EdgeAgent : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly PassageOutbox _outbox;
    private readonly AgentLink _link;
    private readonly CameraFeed _feed;
    private readonly PlateReader _reader;
    private PassageDetector? _detector;
    private (int Width, int Height) _detectorSize;
    private readonly FrameRate _fps;
    private string? _fatal;

    private EdgeAgent(AgentOptions options, PlateReader reader, TimeProvider clock, ILoggerFactory logs)
    {
        _options = options;
        _clock = clock;
        _log = logs.CreateLogger<EdgeAgent>();
        _fps = new FrameRate(clock);
        _outbox = PassageOutbox.Open(options.DataDirectory, options.AgentId, options.OutboxSnapshotBudgetMb * 1024L * 1024);
        _link = new AgentLink(options.Identity, options.Login(), _outbox, clock, logs.CreateLogger<AgentLink>(), Describe)
        {
            StatusEvery = TimeSpan.FromSeconds(options.StatusEverySeconds),
        };
        _feed = new CameraFeed(options.Source, options.RealTime, clock, logs.CreateLogger<CameraFeed>());
        _reader = reader;
    }

    public PassageOutbox Outbox => _outbox;
    public AgentLink Link => _link;
    public long Passages { get; private set; }
    /// <summary>Null until the first frame (the lane region defaults to the frame, whose size only the camera knows).</summary>
    public DetectorCounters? Counters => _detector?.Counters;

    /// <summary>Checks the configuration (every error at once, in words) and starts the link; frames flow once <see cref="RunAsync"/> runs.</summary>
    public static EdgeAgent Start(AgentOptions options, PlateReader reader, TimeProvider clock, ILoggerFactory logs)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new AgentConfigurationException(errors);
        var agent = new EdgeAgent(options, reader, clock, logs);
        agent._link.Start();
        return agent;
    }

    /// <summary>Reads the camera until it ends (a file or folder) or <paramref name="ct"/> stops it (a stream never ends).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _log.LogInformation("agent {Agent} reading {Kind} {Source}; outbox {Depth} waiting, next seq {Seq}",
            _options.AgentId, _feed.Kind, _feed.Shown, _outbox.Depth, _outbox.LastSeq + 1);
        try
        {
            await foreach (var frame in _feed.ReadAsync(ct))
            {
                using (frame)
                {
                    _fps.Tick();
                    KeepBacklogWhenDue();
                    var size = (frame.Image.Width, frame.Image.Height);
                    if (_detector is not null && !frame.Still && size != _detectorSize) StartOver(size);
                    if (_detector is null)
                    {
                        _detector = new PassageDetector([_options.LaneView(size.Width, size.Height)], _reader,
                            new PassageDetectorOptions { Snapshots = _options.Snapshots });
                        _detectorSize = size;
                    }
                    if (frame.Still) Keep(_detector.ProcessStill(frame.Image, frame.At, _options.Lane));
                    else foreach (var vehicle in _detector.Process(frame.Image, frame.At)) Keep(vehicle);
                }
            }
            foreach (var vehicle in _detector?.Flush() ?? []) Keep(vehicle);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped: the vehicles that crossed the loop in the last moments are still in the read band, and were seen.
            foreach (var vehicle in _detector?.Flush() ?? []) Keep(vehicle);
        }
        catch (ArgumentException e)
        {
            // The lane region does not fit the camera's frame: nothing sensible can be read until someone fixes it.
            _fatal = e.Message;
            _log.LogError("agent {Agent} stopped: {Error}", _options.AgentId, e.Message);
            throw new AgentConfigurationException([e.Message]);
        }
        // A file or folder that ended leaves no frames to retry on: what waits in memory is kept before this returns.
        while (!KeepBacklog())
        {
            try { await Task.Delay(KeepRetry, _clock, ct); }
            catch (OperationCanceledException) { break; }
        }
        if (_backlog.Count > 0)
            _log.LogError("agent {Agent} stopped with {Count} passages the outbox could not keep: {Error}", _options.AgentId, _backlog.Count, _keepError);
    }

    /// <summary>
    /// The camera now sends another frame size (reconfigured, its stream opened again): the lane region is
    /// checked against the new frame by a new detector, and the vehicles the old one still held are kept first.
    /// </summary>
    private void StartOver((int Width, int Height) size)
    {
        _log.LogWarning("agent {Agent}: the camera's frames changed from {Old} to {New}; the virtual loop starts over",
            _options.AgentId, $"{_detectorSize.Width}x{_detectorSize.Height}", $"{size.Width}x{size.Height}");
        foreach (var vehicle in _detector!.Flush()) Keep(vehicle);
        _detector.Dispose();
        _detector = null;
    }

    /// <summary>Completes when the central service has confirmed every passage captured so far.</summary>
    public async Task WhenDelivered(CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(long _) { if (_outbox.Depth == 0) done.TrySetResult(); }
        _link.Confirmed += Check;
        try
        {
            Check(0);
            await done.Task.WaitAsync(ct);
        }
        finally { _link.Confirmed -= Check; }
    }

    private void Keep(VehiclePassed vehicle)
    {
        var draft = new Passage
        {
            EventId = Guid.Empty, Seq = 0, AgentId = _options.AgentId, Site = _options.Site, Bore = _options.Bore, Portal = _options.Portal,
            // On the central service's clock: a transit is one agent's time taken from another's.
            Lane = _options.Lane, CameraId = _options.EffectiveCameraId, CapturedAt = _link.ServiceClock.FromLocal(vehicle.CapturedAt),
            Plate = vehicle.Plate?.ToPlateRead(),
            Vehicle = new VehicleRead { Class = vehicle.Class, Confidence = vehicle.ClassConfidence, Hazmat = vehicle.Hazmat, HazmatConfidence = vehicle.HazmatConfidence },
        };
        if (_backlog.Count >= BacklogMax)
        {
            _backlog.Dequeue();
            _log.LogError("outbox failing for {Count} vehicles: the oldest waiting passage is lost", BacklogMax);
        }
        // Memory is for passages: past the first few waiting, a vehicle's picture is let go.
        var snapshot = vehicle.SnapshotJpeg.Length > 0 && _backlog.Count < BacklogSnapshots ? vehicle.SnapshotJpeg : null;
        _backlog.Enqueue((draft, snapshot));
        KeepBacklogWhenDue();
    }

    /// <summary>While the outbox fails, writing is tried again at most every <see cref="KeepRetry"/>: a locked file makes each try wait.</summary>
    private void KeepBacklogWhenDue()
    {
        if (_backlog.Count > 0 && (_keepError is null || _clock.GetElapsedTime(_keepFailedAt) >= KeepRetry)) KeepBacklog();
    }

    /// <summary>
    /// Writes the vehicles waiting in memory to the outbox, oldest first; false while it fails (disk full, a
    /// SQLite error). Capture goes on meanwhile: a camera that stops reading loses every vehicle that follows.
    /// </summary>
    private bool KeepBacklog()
    {
        while (_backlog.TryPeek(out var next))
        {
            Passage passage;
            try { passage = _outbox.Add(next.Draft, next.Snapshot); }
            catch (Exception e)
            {
                _keepFailedAt = _clock.GetTimestamp();
                _keepError = $"outbox cannot keep passages ({_backlog.Count} waiting in memory): {e.Message}";
                _log.LogError("{Error}", _keepError);
                return false;
            }
            _backlog.Dequeue();
            Passages++;
            _link.Notify();
            // The journal keeps this past the plate retention: masked (the camera check shows what is read).
            _log.LogInformation("passage {Seq} lane {Lane} {Plate} {Class} at {At:O}", passage.Seq, passage.Lane,
                PlateMask.Apply(passage.Plate?.Text, visible: false) ?? "(unread)", TunnelJson.Name(passage.Vehicle.Class), passage.CapturedAt);
        }
        _keepError = null;
        return true;
    }

    private const int BacklogMax = 1000, BacklogSnapshots = 50;
    private static readonly TimeSpan KeepRetry = TimeSpan.FromSeconds(1);
    private readonly Queue<(Passage Draft, byte[]? Snapshot)> _backlog = new();
    private long _keepFailedAt;
    private volatile string? _keepError;

    /// <summary>What the agent's status says is wrong, or null.</summary>
    public string? LastError => OwnProblem ?? _link.LastError;

    private string? OwnProblem => _fatal ?? _keepError ?? _feed.Problem;

    private AgentStatus Describe(AgentStatus status) => status with
    {
        Fps = Math.Round(_fps.PerSecond, 1),
        LastError = OwnProblem ?? status.LastError,
    };

    public async ValueTask DisposeAsync()
    {
        await _link.DisposeAsync();
        _detector?.Dispose();
        _outbox.Dispose();
    }
}

/// <summary>The agent cannot run as configured; <see cref="Errors"/> says every reason.</summary>
public sealed class AgentConfigurationException(IReadOnlyList<string> errors)
    : Exception("agent configuration: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Frames per second over the last few seconds, for the status.</summary>
internal sealed class FrameRate(TimeProvider clock)
{
    private readonly Queue<long> _ticks = new();
    private readonly Lock _gate = new();

    public void Tick()
    {
        lock (_gate)
        {
            _ticks.Enqueue(clock.GetTimestamp());
            while (_ticks.Count > 1 && clock.GetElapsedTime(_ticks.Peek()) > TimeSpan.FromSeconds(5)) _ticks.Dequeue();
        }
    }

    public double PerSecond
    {
        get
        {
            lock (_gate)
            {
                if (_ticks.Count < 2) return 0;
                var span = clock.GetElapsedTime(_ticks.Peek());
                return span > TimeSpan.Zero ? (_ticks.Count - 1) / span.TotalSeconds : 0;
            }
        }
    }
}
