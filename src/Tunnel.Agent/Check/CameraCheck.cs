using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Tunnel.Agent.Link;
using Tunnel.Agent.Sources;
using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Recognition.Batch;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Check;

public enum CheckOutcome { Passed, Warning, Failed, Skipped }

/// <summary>One line of a camera check: what was looked at, how it went, and what was seen, in words.</summary>
public sealed record CheckItem(string Name, CheckOutcome Outcome, string Detail);

public sealed record CheckReport(IReadOnlyList<CheckItem> Items, IReadOnlyList<string> Pictures)
{
    public bool Passed => Items.All(i => i.Outcome != CheckOutcome.Failed);
    public CheckItem this[string name] => Items.Single(i => i.Name == name);
}

/// <summary>
/// What a technician at the portal runs after mounting or moving a camera: the agent's whole path, once,
/// for a short while, with nothing sent that the central service would count (no passage, no status).
/// Configuration, models, the camera's frames, the lane region against the frame, what the recogniser reads
/// of the vehicles that pass and what that costs the CPU, the broker login and what the central service last
/// acknowledged; and a picture of the camera's view with the lane region and the loop line drawn, so the
/// aim can be judged without a laptop in the cabinet.
/// </summary>
public static class CameraCheck
{
    private static readonly TimeSpan BrokerWait = TimeSpan.FromSeconds(5), RetainedWait = TimeSpan.FromSeconds(2);
    private const int MaxVehiclePictures = 5;
    /// <summary>Beyond this share of one core the agent would fall behind the camera in service, beside the status and the uploads.</summary>
    private const double MaxCpuShare = 0.9;

    /// <param name="loadReader">Loads the models; the check disposes what it returns.</param>
    public static async Task<CheckReport> RunAsync(AgentOptions options, Func<PlateReader> loadReader, TimeSpan duration, ILoggerFactory logs,
        CancellationToken ct = default)
    {
        var items = new List<CheckItem>();
        var pictures = new List<string>();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            items.Add(new("configuration", CheckOutcome.Failed, string.Join("; ", errors)));
            return new CheckReport(items, pictures);
        }
        items.Add(new("configuration", CheckOutcome.Passed,
            $"{options.AgentId}: site {options.Site}, bore {options.Bore}, {TunnelJson.Name(options.Portal)} lane {options.Lane}" +
            (options.SitesFile is { Length: > 0 } sites ? $" (checked against {sites})" : " (no sites file to check against)")));

        PlateReader? reader = null;
        var loading = Stopwatch.StartNew();
        try
        {
            reader = loadReader();
            items.Add(new("models", CheckOutcome.Passed, $"loaded in {loading.Elapsed.TotalSeconds:0.0} s"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            items.Add(new("models", CheckOutcome.Failed, e.Message));
        }

        using (reader)
        {
            var seen = await WatchAsync(options, reader, duration, logs, ct);
            items.AddRange(seen.Items);
            pictures.AddRange(seen.Pictures);
        }
        items.AddRange(await AskBrokerAsync(options, ct));
        return new CheckReport(items, pictures);
    }

    private static async Task<(List<CheckItem> Items, List<string> Pictures)> WatchAsync(AgentOptions options, PlateReader? reader, TimeSpan duration,
        ILoggerFactory logs, CancellationToken ct)
    {
        var items = new List<CheckItem>();
        var pictures = new List<string>();
        var feed = new CameraFeed(options.Source, options.RealTime, TimeProvider.System, logs.CreateLogger<CameraFeed>());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        long frames = 0;
        Mat? last = null;
        PassageDetector? detector = null;
        string? regionProblem = null;
        var sizeChanges = new List<string>();
        var vehicles = new List<VehiclePassed>();
        var perFrameMs = new List<double>();
        string? failure = null;
        var cpuAtFirst = TimeSpan.Zero;
        try
        {
            try
            {
                await foreach (var frame in feed.ReadAsync(stop.Token))
                {
                    using (frame)
                    {
                        if (first is null)
                        {
                            first = clock.Elapsed;
                            cpuAtFirst = Process.GetCurrentProcess().TotalProcessorTime;
                        }
                        frames++;
                        var size = (frame.Image.Width, frame.Image.Height);
                        if (last is not null && !frame.Still && size != (last.Width, last.Height))
                        {
                            // The camera was reconfigured or reopened at another size, as the agent would see it: the lane
                            // region is judged against the new frames by a new loop, and what the old one held still counts.
                            sizeChanges.Add($"{last.Width}x{last.Height} to {size.Width}x{size.Height} after {frames - 1} frames");
                            if (detector is not null && regionProblem is null) vehicles.AddRange(detector.Flush());
                            detector?.Dispose();
                            detector = null;
                            regionProblem = null;
                        }
                        last?.Dispose();
                        last = frame.Image.Clone();
                        if (regionProblem is not null) continue;
                        detector ??= new PassageDetector([options.LaneView(size.Width, size.Height)], reader,
                            new PassageDetectorOptions { Snapshots = true });
                        var work = Stopwatch.StartNew();
                        try
                        {
                            if (frame.Still) vehicles.Add(detector.ProcessStill(frame.Image, frame.At, options.Lane));
                            else vehicles.AddRange(detector.Process(frame.Image, frame.At));
                        }
                        catch (ArgumentException e) { regionProblem = e.Message; }
                        perFrameMs.Add(work.Elapsed.TotalMilliseconds);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A decoder or recogniser error is a finding of the check, not a crash of it.
                failure = SourceText.Redact(e.Message, options.Source);
            }
            var watched = clock.Elapsed;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtFirst;
            if (failure is null && detector is not null && regionProblem is null) vehicles.AddRange(detector.Flush());
            if (last is null || failure is not null)
            {
                items.Add(new("camera", CheckOutcome.Failed, failure ?? feed.Problem ?? $"{feed.Shown}: no frame in {duration.TotalSeconds:0} s"));
                items.Add(new("lane region", CheckOutcome.Skipped, "no frame to check it against"));
                items.Add(new("recognition", CheckOutcome.Skipped, "no frame"));
                return (items, pictures);
            }
            var span = watched - first!.Value;
            var rate = frames > 1 && span > TimeSpan.Zero ? (frames - 1) / span.TotalSeconds : 0;
            var described = $"{DescribeKind(feed.Kind)} {feed.Shown}: first frame after {first.Value.TotalSeconds:0.0} s, {last.Width}x{last.Height}, " +
                $"{frames} frames" + (feed.Kind == SourceKind.ImageFolder ? "" : $" at {rate:0.0} per second");
            // A size that changes under a running camera is worth a look (someone reconfigured it, or it falls back to a
            // lower resolution), not a failure: the agent starts its loop over and goes on counting.
            items.Add(sizeChanges.Count == 0
                ? new("camera", CheckOutcome.Passed, described)
                : new("camera", CheckOutcome.Warning, $"{described}; the frame size changed from {string.Join(", then ", sizeChanges)}"));

            var view = options.LaneView(last.Width, last.Height);
            var loopY = view.Region.Y + (int)Math.Round(view.LoopLine * view.Region.Height);
            items.Add(regionProblem is null
                ? new("lane region", CheckOutcome.Passed, $"x {view.Region.X}, y {view.Region.Y}, {view.Region.Width}x{view.Region.Height} inside the {last.Width}x{last.Height} frame; loop line at y {loopY}")
                : new("lane region", CheckOutcome.Failed, regionProblem));
            items.Add(regionProblem is null ? Recognition(reader, vehicles, perFrameMs, feed.Kind, options.RealTime, rate, watched,
                cpu / (watched - first.Value)) : new("recognition", CheckOutcome.Skipped, "the lane region does not fit the frame"));

            Outbox.PassageOutbox.CreateOwnDirectory(options.DataDirectory);
            var view1 = Path.GetFullPath(Path.Combine(options.DataDirectory, $"check-{options.AgentId}.jpg"));
            File.WriteAllBytes(view1, DrawLane(last, view, loopY));
            pictures.Add(view1);
            foreach (var (v, i) in vehicles.Where(v => v.SnapshotJpeg.Length > 0).Take(MaxVehiclePictures).Select((v, i) => (v, i + 1)))
            {
                var path = Path.GetFullPath(Path.Combine(options.DataDirectory, $"check-{options.AgentId}-vehicle-{i}.jpg"));
                File.WriteAllBytes(path, v.SnapshotJpeg);
                pictures.Add(path);
            }
            return (items, pictures);
        }
        finally
        {
            last?.Dispose();
            detector?.Dispose();
        }
    }

    /// <param name="cpuShare">The process's CPU time over the wall time since the first frame: decoding and everything else included.</param>
    private static CheckItem Recognition(PlateReader? reader, List<VehiclePassed> vehicles, List<double> perFrameMs, SourceKind kind, bool realTime,
        double rate, TimeSpan watched, double cpuShare)
    {
        var read = vehicles.Count(v => v.Plate is not null);
        var plates = string.Join(", ", vehicles.Take(8).Select(v => v.Plate is { } p
            ? $"{p.Text} ({TunnelJson.Name(p.Color)}, {p.Confidence:0.00}, {TunnelJson.Name(v.Class)})"
            : $"unread ({TunnelJson.Name(v.Class)})")) + (vehicles.Count > 8 ? ", …" : "");
        var sorted = perFrameMs.Order().ToArray();
        var mean = sorted.Length == 0 ? 0 : sorted.Average();
        var cost = kind == SourceKind.ImageFolder
            ? $"{RecognitionReport.Percentile(sorted, 0.5):0} ms per image (median), {RecognitionReport.Percentile(sorted, 0.95):0} ms at the 95th percentile"
            : $"{mean:0.0} ms per frame on average, {RecognitionReport.Percentile(sorted, 0.95):0.0} ms at the 95th percentile";
        if (reader is null)
            return new("recognition", CheckOutcome.Skipped, $"no models: {vehicles.Count} vehicles counted at the loop without reading plates; {cost}");
        if (vehicles.Count == 0)
            return new("recognition", CheckOutcome.Warning,
                $"no vehicle reached the loop line in {watched.TotalSeconds:0} s: let one pass, or check the region and the loop line in the picture; {cost}");
        // A camera must be kept up with on one core. A camera that is not keeps the agent busy all the time while frames are
        // dropped, so the rate read here is no measure of it: the CPU the whole process used is. A file read as fast as it
        // decodes has no pace of its own to keep up with.
        var paced = kind == SourceKind.Stream || kind == SourceKind.VideoFile && realTime;
        var keepsUp = paced ? $"; the agent used {cpuShare:P0} of one core at {rate:0.0} frames per second, decoding included"
            : kind == SourceKind.VideoFile && mean > 0 ? $"; up to {1000 / mean:0} frames per second on one core" : "";
        var outcome = paced && cpuShare > MaxCpuShare ? CheckOutcome.Failed : read == 0 ? CheckOutcome.Warning : CheckOutcome.Passed;
        return new("recognition", outcome, $"{vehicles.Count} vehicles passed, {read} plates read: {plates}; {cost}{keepsUp}");
    }

    private static string DescribeKind(SourceKind kind) => kind switch
    {
        SourceKind.Stream => "stream",
        SourceKind.VideoFile => "video file",
        _ => "image folder",
    };

    private static byte[] DrawLane(Mat frame, LaneView view, int loopY)
    {
        using var picture = frame.Clone();
        var r = view.Region;
        var thickness = Math.Max(2, frame.Width / 400);
        Cv.Rectangle(picture, new PixelBox(r.X, r.Y, r.Width, r.Height), new BgrColor(0, 255, 0), thickness);
        Cv.Line(picture, (r.X, loopY), (r.X + r.Width - 1, loopY), new BgrColor(0, 0, 255), thickness);
        return Cv.Encode(picture);
    }

    /// <summary>Logs in as the agent and reads what the broker keeps for it: the central service's last acknowledgement and the agent's last status.</summary>
    private static async Task<List<CheckItem>> AskBrokerAsync(AgentOptions options, CancellationToken ct)
    {
        var items = new List<CheckItem>();
        BrokerLogin login;
        try { login = options.Login(); }
        catch (InvalidOperationException e)
        {
            items.Add(new("broker", CheckOutcome.Failed, e.Message));
            items.Add(new("central service", CheckOutcome.Skipped, "no broker login"));
            return items;
        }
        // Its own client id: the same as the running agent's would throw that agent off the broker.
        await using var client = new MqttClient(new MqttClientOptions
        {
            Host = login.Host, Port = login.Port, ClientId = $"{options.AgentId}-check-{Random.Shared.Next():x8}",
            Username = login.Username, Password = login.Password, Tls = login.Tls,
        });
        try { await client.ConnectAsync(ct).WaitAsync(BrokerWait, ct); }
        catch (Exception e) when (e is MqttException or TimeoutException)
        {
            items.Add(new("broker", CheckOutcome.Failed, $"{login.Host}:{login.Port} as {login.Username}: " +
                (e is TimeoutException ? $"no answer in {BrokerWait.TotalSeconds:0} s" : e.Message)));
            items.Add(new("central service", CheckOutcome.Skipped, "no broker connection"));
            return items;
        }
        var ackTopic = Topics.AgentAck(options.Site, options.AgentId);
        var statusTopic = Topics.AgentStatus(options.Site, options.AgentId);
        try
        {
            await client.SubscribeAsync(ackTopic, 1, ct).WaitAsync(BrokerWait, ct);
            await client.SubscribeAsync(statusTopic, 1, ct).WaitAsync(BrokerWait, ct);
        }
        catch (Exception e) when (e is MqttException or TimeoutException)
        {
            items.Add(new("broker", CheckOutcome.Failed, $"logged in as {login.Username}, but may not read its own topics: {e.Message}"));
            items.Add(new("central service", CheckOutcome.Skipped, "its acknowledgements cannot be read"));
            return items;
        }
        items.Add(new("broker", CheckOutcome.Passed, $"{login.Host}:{login.Port}{(login.Tls is null ? "" : " over TLS")}: logged in as {login.Username}"));

        AgentAck? ack = null;
        AgentStatus? status = null;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(RetainedWait);
        try
        {
            // Retained messages come right after the subscription, or not at all.
            await foreach (var m in client.Messages.ReadAllAsync(wait.Token))
            {
                try
                {
                    if (m.Topic == ackTopic) ack = TunnelJson.Deserialize<AgentAck>(Encoding.UTF8.GetString(m.Payload));
                    else if (m.Topic == statusTopic) status = TunnelJson.Deserialize<AgentStatus>(Encoding.UTF8.GetString(m.Payload));
                }
                catch (System.Text.Json.JsonException) { }
                if (ack is not null && status is not null) break;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        var agent = status is null ? "no status of this agent kept yet"
            : $"its last status says {(status.Online ? "online" : "offline")}" + (status.At is { } at ? $" at {at:yyyy-MM-dd HH:mm:ss}Z" : "") +
              (status.LastError is { } error ? $" ({error})" : "");
        items.Add(ack is null
            ? new("central service", CheckOutcome.Warning, $"no acknowledgement kept for this agent: the central service has not heard it yet, or runs on another broker; {agent}")
            : new("central service", CheckOutcome.Passed, $"stored this agent's passages through number {ack.StoredThroughSeq} (acknowledged {ack.At:yyyy-MM-dd HH:mm:ss}Z); {agent}"));
        return items;
    }
}
