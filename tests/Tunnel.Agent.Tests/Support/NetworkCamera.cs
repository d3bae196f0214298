using System.Diagnostics;

namespace Tunnel.Agent.Tests.Support;

/// <summary>A network camera: ffmpeg serves a video live over HTTP (MPEG-TS) to the first client that connects.</summary>
public sealed class NetworkCamera : IDisposable
{
    private readonly Process _ffmpeg;

    private NetworkCamera(Process ffmpeg) => _ffmpeg = ffmpeg;

    /// <param name="input">ffmpeg's input arguments, e.g. <c>-i clip.avi</c> or a lavfi source.</param>
    public static NetworkCamera Serve(string url, params string[] input)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-nostdin", "-loglevel", "error", "-re", .. input, "-c:v", "mpeg2video", "-f", "mpegts", "-listen", "1", url])
            start.ArgumentList.Add(a);
        return new NetworkCamera(Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start (apt install ffmpeg)"));
    }

    /// <summary>Waits until the camera has sent its whole input and hung up.</summary>
    public Task EndedAsync(TimeSpan limit) => _ffmpeg.WaitForExitAsync().WaitAsync(limit);

    public void Dispose()
    {
        if (!_ffmpeg.HasExited) _ffmpeg.Kill();
        _ffmpeg.WaitForExit();
        _ffmpeg.Dispose();
    }
}
