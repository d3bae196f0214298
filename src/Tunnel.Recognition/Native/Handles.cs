using System.Runtime.InteropServices;

namespace Tunnel.Recognition.Native;

/// <summary>Base of every native object the shim hands out: released exactly once, by the GC if not by Dispose.</summary>
public abstract class NativeHandle : SafeHandle
{
    protected NativeHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;
}

/// <summary>Bytes produced by the shim (an encoded image, packed contours).</summary>
public sealed class NativeBuffer : NativeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.tcv_buffer_release(handle);
        return true;
    }

    public unsafe ReadOnlySpan<byte> Span
    {
        get
        {
            NativeMethods.Check(NativeMethods.tcv_buffer_data(this, out var data, out var length));
            return new ReadOnlySpan<byte>((void*)data, checked((int)length));
        }
    }
}

/// <summary>OpenCV's MOG2 background subtractor: foreground masks for motion triggers.</summary>
public sealed class BackgroundSubtractor : NativeHandle
{
    public static BackgroundSubtractor CreateMog2(int history = 500, double varThreshold = 16, bool detectShadows = true)
    {
        NativeMethods.Check(NativeMethods.tcv_mog2_create(history, varThreshold, detectShadows ? 1 : 0, out var sub));
        return sub;
    }

    /// <summary>Foreground mask (8-bit: 0 background, 127 shadow, 255 foreground). A negative rate lets OpenCV choose.</summary>
    public Mat Apply(Mat frame, double learningRate = -1)
    {
        NativeMethods.Check(NativeMethods.tcv_mog2_apply(this, frame, learningRate, out var mask));
        return mask;
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.tcv_mog2_release(handle);
        return true;
    }
}

/// <summary>Frames from a file, an RTSP or an HTTP stream, through OpenCV's FFmpeg backend.</summary>
public sealed class VideoSource : NativeHandle
{
    private const int CapFfmpeg = 1900;

    public static VideoSource Open(string url)
    {
        NativeMethods.Check(NativeMethods.tcv_capture_open(url, CapFfmpeg, out var capture));
        return capture;
    }

    /// <summary>The next frame (BGR), or null at the end of the stream.</summary>
    public Mat? Read()
    {
        var rc = NativeMethods.tcv_capture_read(this, out var frame);
        NativeMethods.Check(rc);
        if (rc == 0)
        {
            frame.Dispose();
            return null;
        }
        return frame;
    }

    public double Fps => NativeMethods.tcv_capture_get(this, 5);
    public int Width => (int)NativeMethods.tcv_capture_get(this, 3);
    public int Height => (int)NativeMethods.tcv_capture_get(this, 4);
    /// <summary>Frames in a file (an estimate from the container); 0 or less for live streams.</summary>
    public long FrameCount => (long)NativeMethods.tcv_capture_get(this, 7);
    /// <summary>Position of the next frame in milliseconds (stream time).</summary>
    public double PositionMs => NativeMethods.tcv_capture_get(this, 0);

    protected override bool ReleaseHandle()
    {
        NativeMethods.tcv_capture_release(handle);
        return true;
    }
}

/// <summary>Writes frames to a video file through FFmpeg (e.g. "MJPG" .avi, "mp4v" .mp4).</summary>
public sealed class VideoSink : NativeHandle
{
    public static VideoSink Open(string path, string fourcc, double fps, int width, int height, bool color = true)
    {
        NativeMethods.Check(NativeMethods.tcv_writer_open(path, fourcc, fps, width, height, color ? 1 : 0, out var writer));
        return writer;
    }

    public void Write(Mat frame) => NativeMethods.Check(NativeMethods.tcv_writer_write(this, frame));

    protected override bool ReleaseHandle()
    {
        NativeMethods.tcv_writer_release(handle);
        return true;
    }
}

/// <summary>
/// A TrueType/OpenType face through OpenCV's freetype module: draws text Hershey fonts cannot, such as the
/// Chinese characters of plates (synthetic test scenes).
/// </summary>
public sealed class FontFace : NativeHandle
{
    /// <summary>Noto Sans CJK from Debian's fonts-noto-cjk.</summary>
    public const string NotoSansCjk = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

    /// <summary>Loads a font file; <paramref name="faceIndex"/> picks the face inside a collection (.ttc).</summary>
    public static FontFace Load(string path, int faceIndex = 0)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"font file {path} not found (Debian: apt-get install fonts-noto-cjk)", path);
        NativeMethods.Check(NativeMethods.tcv_font_load(path, faceIndex, out var font));
        return font;
    }

    /// <summary>Draws filled UTF-8 text on an 8-bit 3-channel image, the ink's top-left at (x, y), glyphs about <paramref name="height"/> pixels tall.</summary>
    public unsafe void PutText(Mat image, string text, int x, int y, int height, BgrColor color)
    {
        var c = stackalloc double[] { color.B, color.G, color.R, 0 };
        NativeMethods.Check(NativeMethods.tcv_font_put_text(this, image, text, x, y, height, c));
    }

    /// <summary>Size of the ink of <paramref name="text"/> at <paramref name="height"/>.</summary>
    public (int Width, int Height) Measure(string text, int height)
    {
        NativeMethods.Check(NativeMethods.tcv_font_text_size(this, text, height, out var w, out var h, out _));
        return (w, h);
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.tcv_font_release(handle);
        return true;
    }
}
