using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Sources;
using Tunnel.Agent.Tests.Support;
using Tunnel.EndToEnd.Tests.Support;

namespace Tunnel.Agent.Tests.Sources;

/// <summary>
/// A network camera for real: Debian's ffmpeg serves a live test picture over HTTP (MPEG-TS), the
/// feed reads it through OpenCV's FFmpeg backend, the "camera" dies and comes back, and the feed
/// says what is wrong meanwhile and picks the stream up again by itself.
/// </summary>
public sealed class CameraFeedTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_stream_that_drops_is_reported_and_opened_again()
    {
        var port = Ports.FreePort();
        var url = $"http://127.0.0.1:{port}/cam";
        var feed = new CameraFeed(url, realTime: true, TimeProvider.System, NullLogger.Instance);
        Assert.Equal(SourceKind.Stream, feed.Kind);

        var frames = Channel.CreateUnbounded<(int Width, int Height)>();
        using var stop = new CancellationTokenSource();
        var camera = Serve(url);
        var reading = Task.Run(async () =>
        {
            await foreach (var frame in feed.ReadAsync(stop.Token))
                using (frame) frames.Writer.TryWrite((frame.Image.Width, frame.Image.Height));
        });
        try
        {
            await Take(frames, 10);
            Kill(camera);
            await Wait.UntilAsync(() => feed.Problem is not null, "the feed to report the camera's loss", Limit);
            Assert.Contains(url, feed.Problem, StringComparison.Ordinal);

            camera = Serve(url);
            // Frames again, from the camera that came back: only these can arrive once the queue is drained.
            while (frames.Reader.TryRead(out _)) { }
            var again = await Take(frames, 10);
            Assert.All(again, f => Assert.Equal((320, 240), f));
            Assert.Null(feed.Problem);
        }
        finally
        {
            Kill(camera);
            await stop.CancelAsync();
            try { await reading.WaitAsync(Limit); } catch (OperationCanceledException) { }
        }
    }

    [Fact]
    public async Task A_camera_that_is_not_there_is_reported_without_ending_the_feed()
    {
        var url = $"http://127.0.0.1:{Ports.FreePort()}/cam";
        var feed = new CameraFeed(url, realTime: true, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () => { await foreach (var frame in feed.ReadAsync(stop.Token)) frame.Dispose(); });
        await Wait.UntilAsync(() => feed.Problem is not null, "the feed to report the unreachable camera", Limit);
        Assert.Contains("unreachable", feed.Problem, StringComparison.Ordinal);
        Assert.False(reading.IsCompleted, "a stream source keeps trying; it never ends by itself");
        await stop.CancelAsync();
        await reading.WaitAsync(Limit);
    }

    [Fact]
    public async Task A_camera_that_is_not_there_is_reported_without_its_password()
    {
        var url = $"http://admin:s3cret@127.0.0.1:{Ports.FreePort()}/cam";
        var feed = new CameraFeed(url, realTime: true, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () => { await foreach (var frame in feed.ReadAsync(stop.Token)) frame.Dispose(); });
        await Wait.UntilAsync(() => feed.Problem is not null, "the feed to report the unreachable camera", Limit);
        await stop.CancelAsync();
        await reading.WaitAsync(Limit);

        // The problem becomes the agent's status, which the central service shows and puts in alarm reasons.
        Assert.DoesNotContain("s3cret", feed.Problem, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", feed.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", feed.Shown, StringComparison.Ordinal);
    }

    private static Process Serve(string url)
    {
        // A live 25 fps test picture, sent at its own pace; -listen 1 makes ffmpeg the HTTP server.
        var start = new ProcessStartInfo("ffmpeg")
        {
            ArgumentList = { "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                "-c:v", "mpeg2video", "-f", "mpegts", "-listen", "1", url },
            RedirectStandardError = true, UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start (apt install ffmpeg)");
    }

    private static void Kill(Process camera)
    {
        if (!camera.HasExited) camera.Kill();
        camera.WaitForExit();
        camera.Dispose();
    }

    private static async Task<List<(int Width, int Height)>> Take(Channel<(int Width, int Height)> frames, int count)
    {
        var got = new List<(int, int)>();
        using var timeout = new CancellationTokenSource(Limit);
        while (got.Count < count) got.Add(await frames.Reader.ReadAsync(timeout.Token));
        return got;
    }


}
