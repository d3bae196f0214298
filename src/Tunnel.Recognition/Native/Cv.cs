using System.Runtime.InteropServices;

namespace Tunnel.Recognition.Native;

public enum ImreadMode { Unchanged = -1, Grayscale = 0, Color = 1 }

public enum Interpolation { Nearest = 0, Linear = 1, Cubic = 2, Area = 3 }

/// <summary>The OpenCV colour conversions the project uses (values are OpenCV's codes).</summary>
public enum ColorConversion { BgrToGray = 6, GrayToBgr = 8, BgrToRgb = 4, BgrToHsv = 40, BgraToBgr = 1 }

public enum MorphOp { Erode = 0, Dilate = 1, Open = 2, Close = 3 }

public enum MorphShape { Rect = 0, Cross = 1, Ellipse = 2 }

[Flags]
public enum ThresholdType { Binary = 0, BinaryInv = 1, Otsu = 8 }

public enum ContourMode { External = 0, List = 1 }

public readonly record struct RotatedBox(float CenterX, float CenterY, float Width, float Height, float Angle);

/// <summary>A colour in OpenCV's channel order; single-channel images use <see cref="B"/>.</summary>
public readonly record struct BgrColor(byte B, byte G, byte R)
{
    public static BgrColor Gray(byte level) => new(level, level, level);
}

/// <summary>An axis-aligned rectangle of pixels.</summary>
public readonly record struct PixelBox(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public long Area => (long)Width * Height;
}

/// <summary>A connected region of a binary image: its bounding box and its pixel count.</summary>
public readonly record struct ConnectedComponent(PixelBox Box, int Area);

/// <summary>The OpenCV operations the project uses, each returning a new <see cref="Mat"/> the caller disposes.</summary>
public static unsafe class Cv
{
    public static string OpenCvVersion => Marshal.PtrToStringUTF8(NativeMethods.tcv_opencv_version()) ?? "?";

    /// <summary>Native objects (Mats, buffers, captures, ...) alive right now: a leak shows as a number that keeps growing.</summary>
    public static long LiveNativeObjects => NativeMethods.tcv_live_objects();

    /// <summary>Decodes JPEG/PNG/BMP/... bytes. Throws <see cref="OpenCvException"/> for corrupt or unsupported data.</summary>
    public static Mat Decode(ReadOnlySpan<byte> bytes, ImreadMode mode = ImreadMode.Color)
    {
        if (bytes.IsEmpty) throw new OpenCvException("imdecode: no bytes");
        fixed (byte* p = bytes)
        {
            NativeMethods.Check(NativeMethods.tcv_imdecode(p, (nuint)bytes.Length, (int)mode, out var mat));
            return mat;
        }
    }

    /// <summary>Reads an image file (through .NET, so any path works, including non-ASCII ones).</summary>
    public static Mat Read(string path, ImreadMode mode = ImreadMode.Color)
    {
        try
        {
            return Decode(File.ReadAllBytes(path), mode);
        }
        catch (OpenCvException e)
        {
            throw new OpenCvException($"{path}: {e.Message}");
        }
    }

    /// <summary>Encodes to the format named by <paramref name="extension"/> (".jpg", ".png"); JPEG quality 0-100.</summary>
    public static byte[] Encode(Mat image, string extension = ".jpg", int jpegQuality = 90)
    {
        var parameters = stackalloc int[] { 1 /* IMWRITE_JPEG_QUALITY */, jpegQuality };
        var isJpeg = extension is ".jpg" or ".jpeg";
        NativeMethods.Check(NativeMethods.tcv_imencode(extension, image, isJpeg ? parameters : null, isJpeg ? 2 : 0, out var buffer));
        using (buffer) return buffer.Span.ToArray();
    }

    public static Mat Resize(Mat src, int width, int height, Interpolation interpolation = Interpolation.Linear)
    {
        NativeMethods.Check(NativeMethods.tcv_resize(src, width, height, (int)interpolation, out var dst));
        return dst;
    }

    public static Mat CvtColor(Mat src, ColorConversion code)
    {
        NativeMethods.Check(NativeMethods.tcv_cvt_color(src, (int)code, out var dst));
        return dst;
    }

    /// <summary>
    /// Rectifies the quadrilateral <paramref name="quad"/> (4 points: top-left, top-right,
    /// bottom-right, bottom-left) into an upright width x height image.
    /// </summary>
    public static Mat WarpPerspective(Mat src, ReadOnlySpan<(float X, float Y)> quad, int width, int height,
        Interpolation interpolation = Interpolation.Linear, bool replicateBorder = true)
    {
        if (quad.Length != 4) throw new ArgumentException("need exactly 4 corners", nameof(quad));
        var q = stackalloc float[8];
        for (var i = 0; i < 4; i++) { q[2 * i] = quad[i].X; q[2 * i + 1] = quad[i].Y; }
        NativeMethods.Check(NativeMethods.tcv_warp_perspective(src, q, width, height, (int)interpolation, replicateBorder ? 1 : 0, out var dst));
        return dst;
    }

    /// <summary>255 where every channel lies within [low, high], else 0.</summary>
    public static Mat InRange(Mat src, ReadOnlySpan<double> low, ReadOnlySpan<double> high)
    {
        var lo = stackalloc double[4];
        var hi = stackalloc double[4];
        for (var i = 0; i < 4; i++)
        {
            lo[i] = i < low.Length ? low[i] : 0;
            hi[i] = i < high.Length ? high[i] : 255;
        }
        NativeMethods.Check(NativeMethods.tcv_in_range(src, lo, hi, out var dst));
        return dst;
    }

    /// <summary>Thresholds; with <see cref="ThresholdType.Otsu"/> the chosen level is returned in <paramref name="used"/>.</summary>
    public static Mat Threshold(Mat src, double thresh, double maxValue, ThresholdType type, out double used)
    {
        NativeMethods.Check(NativeMethods.tcv_threshold(src, thresh, maxValue, (int)type, out used, out var dst));
        return dst;
    }

    public static Mat Morphology(Mat src, MorphOp op, MorphShape shape, int kernelWidth, int kernelHeight, int iterations = 1)
    {
        NativeMethods.Check(NativeMethods.tcv_morphology(src, (int)op, (int)shape, kernelWidth, kernelHeight, iterations, out var dst));
        return dst;
    }

    /// <summary>Outer (or all) contours of an 8-bit binary image, each a list of points (chain-approximated).</summary>
    public static IReadOnlyList<(int X, int Y)[]> FindContours(Mat binary, ContourMode mode = ContourMode.External)
    {
        NativeMethods.Check(NativeMethods.tcv_find_contours(binary, (int)mode, 2 /* CHAIN_APPROX_SIMPLE */, out var buffer));
        using (buffer)
        {
            var ints = MemoryMarshal.Cast<byte, int>(buffer.Span);
            var count = ints[0];
            var result = new (int X, int Y)[count][];
            var at = 1 + count;
            for (var c = 0; c < count; c++)
            {
                var n = ints[1 + c];
                var points = new (int X, int Y)[n];
                for (var k = 0; k < n; k++, at += 2) points[k] = (ints[at], ints[at + 1]);
                result[c] = points;
            }
            return result;
        }
    }

    /// <summary>Smallest rotated rectangle around the points (OpenCV's minAreaRect).</summary>
    public static RotatedBox MinAreaRect(ReadOnlySpan<(int X, int Y)> points)
    {
        if (points.IsEmpty) throw new ArgumentException("no points", nameof(points));
        var r = stackalloc float[5];
        fixed (void* p = points)
        {
            NativeMethods.Check(NativeMethods.tcv_min_area_rect((int*)p, points.Length, r));
        }
        return new RotatedBox(r[0], r[1], r[2], r[3], r[4]);
    }

    /// <summary>Per-pixel |a - b| of two images of the same size and type.</summary>
    public static Mat AbsDiff(Mat a, Mat b)
    {
        NativeMethods.Check(NativeMethods.tcv_abs_diff(a, b, out var dst));
        return dst;
    }

    /// <summary>saturate(src * alpha + beta) in the same type: brightness and gain changes.</summary>
    public static Mat ConvertScale(Mat src, double alpha, double beta = 0)
    {
        NativeMethods.Check(NativeMethods.tcv_convert_scale(src, alpha, beta, out var dst));
        return dst;
    }

    /// <summary>Non-zero pixels of a single-channel image.</summary>
    public static long CountNonZero(Mat src)
    {
        NativeMethods.Check(NativeMethods.tcv_count_non_zero(src, out var count));
        return count;
    }

    /// <summary>Per-channel mean and standard deviation (4 values each; absent channels are 0), over <paramref name="mask"/>'s non-zero pixels if given.</summary>
    public static (double[] Mean, double[] StdDev) MeanStdDev(Mat src, Mat? mask = null)
    {
        var mean = new double[4];
        var sd = new double[4];
        fixed (double* m = mean)
        fixed (double* s = sd)
        {
            if (mask is null)
            {
                NativeMethods.Check(NativeMethods.tcv_mean_std_dev(src, 0, m, s));
            }
            else
            {
                var added = false;
                try
                {
                    mask.DangerousAddRef(ref added);
                    NativeMethods.Check(NativeMethods.tcv_mean_std_dev(src, mask.DangerousGetHandle(), m, s));
                }
                finally
                {
                    if (added) mask.DangerousRelease();
                }
            }
        }
        return (mean, sd);
    }

    /// <summary>Variance of the Laplacian of the grey levels: higher is sharper (the usual focus measure).</summary>
    public static double LaplacianVariance(Mat src)
    {
        NativeMethods.Check(NativeMethods.tcv_laplacian_variance(src, out var variance));
        return variance;
    }

    /// <summary>Connected components of an 8-bit binary image (background excluded), in label order.</summary>
    public static IReadOnlyList<ConnectedComponent> ConnectedComponents(Mat binary, bool eightConnected = true)
    {
        NativeMethods.Check(NativeMethods.tcv_connected_components(binary, eightConnected ? 8 : 4, out var buffer));
        using (buffer)
        {
            var ints = MemoryMarshal.Cast<byte, int>(buffer.Span);
            var result = new ConnectedComponent[ints[0]];
            for (var i = 0; i < result.Length; i++)
            {
                var s = ints.Slice(1 + 5 * i, 5);
                result[i] = new ConnectedComponent(new PixelBox(s[0], s[1], s[2], s[3]), s[4]);
            }
            return result;
        }
    }

    /// <summary>Adds Gaussian noise to every channel in place; the same seed gives the same noise.</summary>
    public static void AddNoise(Mat image, double stdDev, ulong seed) =>
        NativeMethods.Check(NativeMethods.tcv_add_noise(image, stdDev, seed));

    /// <summary>Draws a rectangle in place: filled when <paramref name="thickness"/> is negative.</summary>
    public static void Rectangle(Mat image, PixelBox box, BgrColor color, int thickness = -1)
    {
        var c = stackalloc double[] { color.B, color.G, color.R, 0 };
        NativeMethods.Check(NativeMethods.tcv_rectangle(image, box.X, box.Y, box.Width, box.Height, c, thickness));
    }

    /// <summary>Draws an anti-aliased line in place.</summary>
    public static void Line(Mat image, (int X, int Y) from, (int X, int Y) to, BgrColor color, int thickness = 1)
    {
        var c = stackalloc double[] { color.B, color.G, color.R, 0 };
        NativeMethods.Check(NativeMethods.tcv_line(image, from.X, from.Y, to.X, to.Y, c, thickness));
    }

    /// <summary>Douglas-Peucker simplification: the polygon's vertices that matter at <paramref name="epsilon"/> pixels.</summary>
    public static (int X, int Y)[] ApproxPolyDP(ReadOnlySpan<(int X, int Y)> points, double epsilon, bool closed = true)
    {
        if (points.IsEmpty) throw new ArgumentException("no points", nameof(points));
        fixed (void* p = points)
        {
            NativeMethods.Check(NativeMethods.tcv_approx_poly_dp((int*)p, points.Length, epsilon, closed ? 1 : 0, out var buffer));
            return Unpack(buffer);
        }
    }

    /// <summary>Convex hull of the points, its vertices in order around it.</summary>
    public static (int X, int Y)[] ConvexHull(ReadOnlySpan<(int X, int Y)> points)
    {
        if (points.IsEmpty) throw new ArgumentException("no points", nameof(points));
        fixed (void* p = points)
        {
            NativeMethods.Check(NativeMethods.tcv_convex_hull((int*)p, points.Length, out var buffer));
            return Unpack(buffer);
        }
    }

    private static (int X, int Y)[] Unpack(NativeBuffer buffer)
    {
        using (buffer)
        {
            var ints = MemoryMarshal.Cast<byte, int>(buffer.Span);
            var result = new (int X, int Y)[ints[0]];
            for (var i = 0; i < result.Length; i++) result[i] = (ints[1 + 2 * i], ints[2 + 2 * i]);
            return result;
        }
    }

    /// <summary>Fills a polygon (at least 3 vertices) in place, with anti-aliased edges.</summary>
    public static void FillPoly(Mat image, ReadOnlySpan<(int X, int Y)> polygon, BgrColor color)
    {
        var c = stackalloc double[] { color.B, color.G, color.R, 0 };
        fixed (void* p = polygon)
        {
            NativeMethods.Check(NativeMethods.tcv_fill_poly(image, (int*)p, polygon.Length, c));
        }
    }

    /// <summary>Gaussian blur with an odd square kernel; sigma 0 derives it from the kernel.</summary>
    public static Mat GaussianBlur(Mat src, int kernelSize, double sigma = 0)
    {
        NativeMethods.Check(NativeMethods.tcv_gaussian_blur(src, kernelSize, sigma, out var dst));
        return dst;
    }

    /// <summary>Canny edge map (255 on edges) of a grey or BGR 8-bit image.</summary>
    public static Mat Canny(Mat src, double lowThreshold, double highThreshold)
    {
        NativeMethods.Check(NativeMethods.tcv_canny(src, lowThreshold, highThreshold, out var dst));
        return dst;
    }

    /// <summary>
    /// Writes an 8-bit 3-channel image into a planar float tensor of <paramref name="tensorWidth"/> x
    /// <paramref name="tensorHeight"/> per channel (image at the top-left): value = (pixel - mean) * scale.
    /// </summary>
    public static void ToPlanarFloat(Mat src, Span<float> tensor, int tensorWidth, int tensorHeight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> scale)
    {
        if (tensor.Length < 3 * tensorWidth * tensorHeight) throw new ArgumentException("tensor too small", nameof(tensor));
        if (mean.Length != 3 || scale.Length != 3) throw new ArgumentException("mean and scale need 3 values");
        fixed (float* t = tensor)
        fixed (float* m = mean)
        fixed (float* s = scale)
        {
            NativeMethods.Check(NativeMethods.tcv_to_planar_float(src, t, tensorWidth, tensorHeight, m, s));
        }
    }
}
