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
