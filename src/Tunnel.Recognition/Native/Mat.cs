namespace Tunnel.Recognition.Native;

/// <summary>
/// An OpenCV image owned by .NET: the native cv::Mat is released by Dispose, or by the finalizer
/// if a caller forgets. Pixel access goes straight to native memory, valid while the Mat lives.
/// </summary>
public sealed class Mat : NativeHandle
{
    public const int Type8UC1 = 0;
    public const int Type8UC3 = 16;

    protected override bool ReleaseHandle()
    {
        NativeMethods.tcv_mat_release(handle);
        return true;
    }

    /// <summary>A new image of the given type, copying <paramref name="pixels"/> (rows packed, or <paramref name="step"/> bytes apart), or zeros if empty.</summary>
    public static unsafe Mat Create(int rows, int cols, int type, ReadOnlySpan<byte> pixels = default, int step = 0)
    {
        var bytesPerPixel = type switch { Type8UC1 => 1, Type8UC3 => 3, _ => throw new ArgumentOutOfRangeException(nameof(type), "only 8UC1 and 8UC3") };
        if (step == 0) step = cols * bytesPerPixel;
        if (!pixels.IsEmpty && pixels.Length < (long)step * (rows - 1) + (long)cols * bytesPerPixel)
            throw new ArgumentException("pixel span is shorter than the image", nameof(pixels));
        fixed (byte* p = pixels)
        {
            NativeMethods.Check(NativeMethods.tcv_mat_create(rows, cols, type, pixels.IsEmpty ? null : p, (nuint)step, out var mat));
            return mat;
        }
    }

    private (int Rows, int Cols, int Type, nuint Step, nint Data) Info
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            NativeMethods.Check(NativeMethods.tcv_mat_info(this, out var r, out var c, out var t, out var s, out var d));
            return (r, c, t, s, d);
        }
    }

    public int Rows => Info.Rows;
    public int Cols => Info.Cols;
    public int Width => Cols;
    public int Height => Rows;
    /// <summary>OpenCV type code (CV_8UC3 = 16, CV_8UC1 = 0, ...).</summary>
    public int Type => Info.Type;
    public int Channels => (Info.Type >> 3) + 1;
    public int Step => (int)Info.Step;

    /// <summary>The pixel bytes (rows <see cref="Step"/> apart) of an 8-bit image; valid until the Mat is disposed.</summary>
    public unsafe ReadOnlySpan<byte> Bytes
    {
        get
        {
            var i = Info;
            if ((i.Type & 7) != 0) throw new InvalidOperationException("pixel access is for 8-bit images only");
            var channels = (i.Type >> 3) + 1;
            var length = checked((int)i.Step * (i.Rows - 1) + i.Cols * channels);
            return new ReadOnlySpan<byte>((void*)i.Data, length);
        }
    }

    /// <summary>Deep copy of a rectangle clipped to the image.</summary>
    public Mat Crop(int x, int y, int width, int height)
    {
        NativeMethods.Check(NativeMethods.tcv_mat_crop(this, x, y, width, height, out var dst));
        return dst;
    }

    /// <summary>Deep copy.</summary>
    public Mat Clone()
    {
        NativeMethods.Check(NativeMethods.tcv_mat_clone(this, out var dst));
        return dst;
    }

    /// <summary>Sets every pixel to <paramref name="color"/> (a grey image takes its B value), in place.</summary>
    public unsafe void Fill(BgrColor color)
    {
        var c = stackalloc double[] { color.B, color.G, color.R, 0 };
        NativeMethods.Check(NativeMethods.tcv_mat_fill(this, c));
    }

    public override string ToString() => IsClosed ? "Mat(disposed)" : $"Mat({Cols}x{Rows}, type {Type})";
}
