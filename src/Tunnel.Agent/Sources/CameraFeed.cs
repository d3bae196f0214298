using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Sources;

/// <summary>One frame and when it was seen. <see cref="Still"/> frames are separate photographs, one vehicle each.</summary>
public sealed class Frame(Mat image, DateTimeOffset at, bool still) : IDisposable
{
    public Mat Image { get; } = image;
    public DateTimeOffset At { get; } = at;
    public bool Still { get; } = still;
    public void Dispose() => Image.Dispose();
}

public enum SourceKind { Stream, VideoFile, ImageFolder }

/// <summary>
/// Frames from wherever the camera is: a network stream (RTSP/HTTP, opened again with backoff
/// whenever it fails, forever), a video file (at its own pace, like a camera, or as fast as it
/// decodes) or a folder of still photos. A stream never ends; a file or folder ends when read.
/// </summary>
public sealed class CameraFeed(string source, bool realTime, TimeProvider clock, ILogger log)
{
    private static readonly TimeSpan RetryFirst = TimeSpan.FromSeconds(1), RetryMax = TimeSpan.FromSeconds(30);
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp"];

    public SourceKind Kind { get; } =
        source.Contains("://", StringComparison.Ordinal) ? SourceKind.Stream
        : Directory.Exists(source) ? SourceKind.ImageFolder
        : SourceKind.VideoFile;

    /// <summary>The source as it may be shown, without the camera's login.</summary>
    public string Shown { get; } = SourceText.Redact(source);

    /// <summary>Why the camera is not delivering, while it is not; for the agent's status.</summary>
    public string? Problem { get; private set; }

    public IAsyncEnumerable<Frame> ReadAsync(CancellationToken ct) => Kind switch
    {
        SourceKind.ImageFolder => ReadFolderAsync(ct),
        SourceKind.VideoFile => ReadVideoAsync(ct),
        _ => ReadStreamAsync(ct),
    };

    private async IAsyncEnumerable<Frame> ReadFolderAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var files = Directory.EnumerateFiles(source)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            Mat image;
            try { image = Cv.Read(file); }
            catch (Exception e) when (e is OpenCvException or IOException)
            {
                // One unreadable photo is reported and skipped; it is not a vehicle.
                log.LogWarning("skipping {File}: {Error}", file, e.Message);
                continue;
            }
            yield return new Frame(image, clock.GetUtcNow(), still: true);
            await Task.Yield();
        }
    }

    private async IAsyncEnumerable<Frame> ReadVideoAsync([EnumeratorCancellation] CancellationToken ct)
    {
        using var video = VideoSource.Open(source);
        var fps = video.Fps is > 0 and < 1000 ? video.Fps : 25;
        // Played at its own pace, the file is a camera starting now. Read faster than that, its frames are
        // placed so that the last one is now: passages from the future would be refused by the central service.
        var start = realTime ? clock.GetUtcNow() : clock.GetUtcNow() - TimeSpan.FromSeconds(Math.Max(0, video.FrameCount) / fps);
        var startTicks = clock.GetTimestamp();
        for (long index = 0; ; index++)
        {
            ct.ThrowIfCancellationRequested();
            var image = video.Read();
            if (image is null) yield break;
            var offset = TimeSpan.FromSeconds(index / fps);
            if (realTime)
            {
                var wait = offset - clock.GetElapsedTime(startTicks);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, ct);
            }
            yield return new Frame(image, start + offset, still: false);
        }
    }

    private async IAsyncEnumerable<Frame> ReadStreamAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var delay = RetryFirst;
        while (!ct.IsCancellationRequested)
        {
            VideoSource? video = null;
            try { video = VideoSource.Open(source); }
            catch (OpenCvException e)
            {
                Problem = $"camera {Shown} unreachable: {SourceText.Redact(e.Message, source)}";
            }
            if (video is not null)
            {
                using (video)
                {
                    while (!ct.IsCancellationRequested && TryRead(video) is { } image)
                    {
                        Problem = null;
                        delay = RetryFirst;
                        yield return new Frame(image, clock.GetUtcNow(), still: false);
                    }
                }
                Problem ??= $"camera {Shown} stopped sending frames";
            }
            log.LogWarning("{Problem}; opening it again in {Delay}", Problem, delay);
            try { await Task.Delay(delay, clock, ct); }
            catch (OperationCanceledException) { yield break; }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, RetryMax.Ticks));
        }
    }

    private Mat? TryRead(VideoSource video)
    {
        try { return video.Read(); }
        catch (OpenCvException e)
        {
            Problem = $"camera {Shown} failed: {SourceText.Redact(e.Message, source)}";
            return null;
        }
    }
}
