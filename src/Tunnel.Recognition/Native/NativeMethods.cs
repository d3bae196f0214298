using System.Runtime.InteropServices;

namespace Tunnel.Recognition.Native;

/// <summary>The C ABI of native/tunnelcv.cpp. Every int-returning call reports failure as -1 plus <see cref="tcv_last_error"/>.</summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = "tunnelcv";

    [LibraryImport(Lib)] internal static partial nint tcv_last_error();
    [LibraryImport(Lib)] internal static partial nint tcv_opencv_version();
    [LibraryImport(Lib)] internal static partial long tcv_live_objects();

    [LibraryImport(Lib)] internal static partial void tcv_mat_release(nint mat);
    [LibraryImport(Lib)] internal static partial int tcv_mat_create(int rows, int cols, int type, void* data, nuint step, out Mat mat);
    [LibraryImport(Lib)] internal static partial int tcv_mat_info(Mat mat, out int rows, out int cols, out int type, out nuint step, out nint data);
    [LibraryImport(Lib)] internal static partial int tcv_mat_crop(Mat src, int x, int y, int w, int h, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_mat_clone(Mat src, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_mat_fill(Mat dst, double* color4);

    [LibraryImport(Lib)] internal static partial void tcv_buffer_release(nint buffer);
    [LibraryImport(Lib)] internal static partial int tcv_buffer_data(NativeBuffer buffer, out nint data, out nuint length);

    [LibraryImport(Lib)] internal static partial int tcv_imdecode(byte* bytes, nuint length, int flags, out Mat mat);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int tcv_imencode(string ext, Mat mat, int* parameters, int count, out NativeBuffer buffer);

    [LibraryImport(Lib)] internal static partial int tcv_resize(Mat src, int width, int height, int interpolation, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_cvt_color(Mat src, int code, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_warp_perspective(Mat src, float* quad, int width, int height, int interpolation, int border, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_in_range(Mat src, double* low, double* high, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_threshold(Mat src, double thresh, double maxval, int type, out double used, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_morphology(Mat src, int op, int shape, int kw, int kh, int iterations, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_find_contours(Mat src, int mode, int method, out NativeBuffer buffer);
    [LibraryImport(Lib)] internal static partial int tcv_min_area_rect(int* xy, int n, float* out5);
    [LibraryImport(Lib)] internal static partial int tcv_to_planar_float(Mat src, float* dst, int dstW, int dstH, float* mean, float* scale);

    [LibraryImport(Lib)] internal static partial int tcv_abs_diff(Mat a, Mat b, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_convert_scale(Mat src, double alpha, double beta, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_count_non_zero(Mat src, out nint count);
    [LibraryImport(Lib)] internal static partial int tcv_mean_std_dev(Mat src, nint mask, double* mean4, double* std4);
    [LibraryImport(Lib)] internal static partial int tcv_laplacian_variance(Mat src, out double variance);
    [LibraryImport(Lib)] internal static partial int tcv_connected_components(Mat src, int connectivity, out NativeBuffer buffer);
    [LibraryImport(Lib)] internal static partial int tcv_add_noise(Mat dst, double stddev, ulong seed);
    [LibraryImport(Lib)] internal static partial int tcv_rectangle(Mat dst, int x, int y, int w, int h, double* color4, int thickness);
    [LibraryImport(Lib)] internal static partial int tcv_line(Mat dst, int x0, int y0, int x1, int y1, double* color4, int thickness);

    [LibraryImport(Lib)] internal static partial int tcv_approx_poly_dp(int* xy, int n, double epsilon, int closed, out NativeBuffer buffer);
    [LibraryImport(Lib)] internal static partial int tcv_convex_hull(int* xy, int n, out NativeBuffer buffer);
    [LibraryImport(Lib)] internal static partial int tcv_fill_poly(Mat dst, int* xy, int n, double* color4);
    [LibraryImport(Lib)] internal static partial int tcv_gaussian_blur(Mat src, int ksize, double sigma, out Mat dst);
    [LibraryImport(Lib)] internal static partial int tcv_canny(Mat src, double low, double high, out Mat dst);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int tcv_font_load(string path, int index, out FontFace font);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int tcv_font_put_text(FontFace font, Mat dst, string text, int x, int y, int height, double* color4);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int tcv_font_text_size(FontFace font, string text, int height, out int width, out int textHeight, out int baseline);
    [LibraryImport(Lib)] internal static partial void tcv_font_release(nint font);

    [LibraryImport(Lib)] internal static partial int tcv_mog2_create(int history, double varThreshold, int detectShadows, out BackgroundSubtractor sub);
    [LibraryImport(Lib)] internal static partial int tcv_mog2_apply(BackgroundSubtractor sub, Mat frame, double learningRate, out Mat mask);
    [LibraryImport(Lib)] internal static partial void tcv_mog2_release(nint sub);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int tcv_capture_open(string url, int api, out VideoSource capture);
    [LibraryImport(Lib)] internal static partial int tcv_capture_read(VideoSource capture, out Mat frame);
    [LibraryImport(Lib)] internal static partial double tcv_capture_get(VideoSource capture, int prop);
    [LibraryImport(Lib)] internal static partial void tcv_capture_release(nint capture);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int tcv_writer_open(string path, string fourcc, double fps, int width, int height, int isColor, out VideoSink writer);
    [LibraryImport(Lib)] internal static partial int tcv_writer_write(VideoSink writer, Mat frame);
    [LibraryImport(Lib)] internal static partial void tcv_writer_release(nint writer);

    internal static string LastError() => Marshal.PtrToStringUTF8(tcv_last_error()) ?? "unknown OpenCV shim error";

    /// <summary>Throws the shim's message for a failed call.</summary>
    internal static void Check(int rc)
    {
        if (rc < 0) throw new OpenCvException(LastError());
    }
}

/// <summary>An OpenCV operation failed (bad input, corrupt image, unopenable stream); the message says which and why.</summary>
public sealed class OpenCvException(string message) : Exception(message);
