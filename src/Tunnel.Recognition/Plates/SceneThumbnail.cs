using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// A scene scaled down once, with its HSV, for the searches that need colour more than detail: plate-coloured
/// regions (<see cref="ColourMap"/>) and hazard signs (<see cref="HazmatSigns"/>). Scaling a large frame is as
/// costly as either search's own work.
/// </summary>
internal sealed class SceneThumbnail : IDisposable
{
    // Signs are a few dozen pixels in a vehicle crop; larger inputs only cost time.
    public const int MaxSide = 720;
    private readonly Mat? _scaled;

    private SceneThumbnail(Mat bgr, Mat? scaled, double scale)
    {
        _scaled = scaled;
        Bgr = scaled ?? bgr;
        Scale = scale;
        Hsv = Cv.CvtColor(Bgr, ColorConversion.BgrToHsv);
    }

    public static SceneThumbnail Of(Mat scene)
    {
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(scene.Width, scene.Height));
        var scaled = scale < 1
            ? Cv.Resize(scene, Math.Max(1, (int)Math.Round(scene.Width * scale)), Math.Max(1, (int)Math.Round(scene.Height * scale)), Interpolation.Area)
            : null;
        return new SceneThumbnail(scene, scaled, scale);
    }

    /// <summary>The scaled image (the scene itself when it is small enough).</summary>
    public Mat Bgr { get; }
    public Mat Hsv { get; }
    /// <summary>Thumbnail pixels per scene pixel (at most 1).</summary>
    public double Scale { get; }

    public void Dispose()
    {
        Hsv.Dispose();
        _scaled?.Dispose();
    }
}
