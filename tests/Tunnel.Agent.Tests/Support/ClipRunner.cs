using Tunnel.Agent.Vision;
using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Tests.Support;

/// <summary>Feeds a video file through a detector as a frame source would, frame times from the clip's frame rate.</summary>
public static class ClipRunner
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<VehiclePassed> Run(string path, PassageDetector detector, Func<Mat, Mat>? transform = null)
    {
        using var video = VideoSource.Open(path);
        var fps = video.Fps > 0 ? video.Fps : 25;
        var passed = new List<VehiclePassed>();
        var index = 0;
        while (video.Read() is { } frame)
        {
            using (frame)
            {
                var at = Start + TimeSpan.FromSeconds(index++ / fps);
                if (transform is null)
                {
                    passed.AddRange(detector.Process(frame, at));
                }
                else
                {
                    using var changed = transform(frame);
                    passed.AddRange(detector.Process(changed, at));
                }
            }
        }
        passed.AddRange(detector.Flush());
        return passed;
    }

    public static double Seconds(DateTimeOffset at) => (at - Start).TotalSeconds;
}
