using System.Diagnostics;
using Tunnel.Recognition.Native;

namespace Tunnel.Recognition.Tests;

public class OpenCvShimTests
{
    private static Mat Solid(int rows, int cols, byte b, byte g, byte r)
    {
        var px = new byte[rows * cols * 3];
        for (var i = 0; i < px.Length; i += 3) { px[i] = b; px[i + 1] = g; px[i + 2] = r; }
        return Mat.Create(rows, cols, Mat.Type8UC3, px);
    }

    /// <summary>Gray image, black background, white axis-aligned rectangles.</summary>
    private static Mat Boxes(int rows, int cols, params (int X, int Y, int W, int H)[] boxes)
    {
        var px = new byte[rows * cols];
        foreach (var b in boxes)
            for (var y = b.Y; y < b.Y + b.H; y++)
                for (var x = b.X; x < b.X + b.W; x++) px[y * cols + x] = 255;
        return Mat.Create(rows, cols, Mat.Type8UC1, px);
    }

    [Fact]
    public void Reports_the_debian_opencv_version() => Assert.StartsWith("4.6", Cv.OpenCvVersion);

    [Fact]
    public void Create_and_read_back_pixels()
    {
        using var m = Solid(4, 5, 10, 20, 30);
        Assert.Equal((4, 5, Mat.Type8UC3, 3), (m.Rows, m.Cols, m.Type, m.Channels));
        var bytes = m.Bytes;
        Assert.Equal(new byte[] { 10, 20, 30 }, bytes[..3].ToArray());
        Assert.Equal(30, bytes[m.Step * 3 + 4 * 3 + 2]);
    }

    [Fact]
    public void Decodes_a_real_jpeg_and_reencodes_it()
    {
        var bytes = File.ReadAllBytes(TestData.File("plate-crops-dev", "hyperlpr_0001.jpg"));
        using var img = Cv.Decode(bytes);
        Assert.True(img.Width > 50 && img.Height > 10);
        Assert.Equal(3, img.Channels);

        var png = Cv.Encode(img, ".png");
        Assert.Equal(0x89, png[0]);
        using var back = Cv.Decode(png);
        Assert.Equal(img.Bytes.ToArray(), back.Bytes.ToArray());

        var jpg = Cv.Encode(img, ".jpg", 80);
        Assert.Equal(new byte[] { 0xFF, 0xD8 }, jpg[..2]);
        using var gray = Cv.Decode(jpg, ImreadMode.Grayscale);
        Assert.Equal(1, gray.Channels);
    }

    [Fact]
    public void Corrupt_or_empty_bytes_fail_with_a_clear_error()
    {
        var good = File.ReadAllBytes(TestData.File("plate-crops-dev", "hyperlpr_0001.jpg"));
        var garbage = good.Take(20).Concat(new byte[200]).ToArray();
        var e = Assert.Throws<OpenCvException>(() => Cv.Decode(garbage));
        Assert.Contains("corrupt", e.Message);
        Assert.Throws<OpenCvException>(() => Cv.Decode(ReadOnlySpan<byte>.Empty));
        Assert.Throws<OpenCvException>(() => Cv.Decode("not an image at all"u8));
        Assert.ThrowsAny<IOException>(() => Cv.Read("/nonexistent/x.jpg"));
    }

    [Fact]
    public void Encode_to_an_unknown_format_fails()
    {
        using var m = Solid(8, 8, 1, 2, 3);
        Assert.Throws<OpenCvException>(() => Cv.Encode(m, ".nosuchformat"));
    }

    [Fact]
    public void Resize_and_colour_conversion()
    {
        using var m = Solid(20, 40, 255, 0, 0);
        using var small = Cv.Resize(m, 10, 5, Interpolation.Area);
        Assert.Equal((5, 10), (small.Rows, small.Cols));
        Assert.Throws<OpenCvException>(() => Cv.Resize(m, 0, 5));

        using var gray = Cv.CvtColor(m, ColorConversion.BgrToGray);
        Assert.Equal(1, gray.Channels);
        Assert.Equal(29, gray.Bytes[0]); // 0.114 * 255 for pure blue

        using var hsv = Cv.CvtColor(m, ColorConversion.BgrToHsv);
        Assert.Equal(new byte[] { 120, 255, 255 }, hsv.Bytes[..3].ToArray()); // blue is hue 240°/2

        using var rgb = Cv.CvtColor(m, ColorConversion.BgrToRgb);
        Assert.Equal(new byte[] { 0, 0, 255 }, rgb.Bytes[..3].ToArray());
        Assert.Throws<OpenCvException>(() => Cv.CvtColor(gray, ColorConversion.BgrToHsv));
    }

    [Fact]
    public void Warp_perspective_rectifies_a_quadrilateral()
    {
        // A white square at (20..39, 10..29) in a 60x40 image; warp that square to 10x10: all white.
        using var src = Boxes(40, 60, (20, 10, 20, 20));
        using var bgr = Cv.CvtColor(src, ColorConversion.GrayToBgr);
        (float, float)[] quad = [(20, 10), (40, 10), (40, 30), (20, 30)];
        using var warped = Cv.WarpPerspective(bgr, quad, 10, 10);
        Assert.Equal((10, 10), (warped.Rows, warped.Cols));
        Assert.True(warped.Bytes.ToArray().All(b => b > 200));
        Assert.Throws<ArgumentException>(() => Cv.WarpPerspective(bgr, quad.AsSpan(0, 3), 10, 10));
    }

    [Fact]
    public void In_range_threshold_and_morphology()
    {
        using var blue = Solid(10, 10, 200, 50, 20);
        using var hsv = Cv.CvtColor(blue, ColorConversion.BgrToHsv);
        using var hit = Cv.InRange(hsv, [100, 100, 100], [130, 255, 255]);
        Assert.True(hit.Bytes.ToArray().All(b => b == 255));
        using var miss = Cv.InRange(hsv, [10, 100, 100], [30, 255, 255]);
        Assert.True(miss.Bytes.ToArray().All(b => b == 0));

        using var boxes = Boxes(20, 20, (5, 5, 10, 10));
        using var otsu = Cv.Threshold(boxes, 0, 255, ThresholdType.BinaryInv | ThresholdType.Otsu, out var level);
        Assert.InRange(level, 0, 254);
        Assert.Equal(0, otsu.Bytes[10 * otsu.Step + 10]);

        using var speck = Boxes(20, 20, (5, 5, 10, 10), (17, 17, 1, 1));
        using var opened = Cv.Morphology(speck, MorphOp.Open, MorphShape.Rect, 3, 3);
        Assert.Equal(0, opened.Bytes[17 * opened.Step + 17]);
        Assert.Equal(255, opened.Bytes[10 * opened.Step + 10]);
        Assert.Throws<OpenCvException>(() => Cv.Morphology(speck, MorphOp.Close, MorphShape.Rect, 0, 3));
    }

    [Fact]
    public void Finds_contours_and_their_rotated_rectangles()
    {
        using var img = Boxes(50, 80, (5, 5, 20, 10), (40, 20, 30, 15));
        var contours = Cv.FindContours(img);
        Assert.Equal(2, contours.Count);
        var rects = contours.Select(c => Cv.MinAreaRect(c)).OrderBy(r => r.CenterX).ToArray();
        Assert.Equal(14.5, rects[0].CenterX, 0.6);
        Assert.Equal(9.5, rects[0].CenterY, 0.6);
        var sides = new[] { rects[1].Width, rects[1].Height }.Order().ToArray();
        Assert.Equal(14, sides[0], 1.1);
        Assert.Equal(29, sides[1], 1.1);

        using var color = Cv.CvtColor(img, ColorConversion.GrayToBgr);
        Assert.Throws<OpenCvException>(() => Cv.FindContours(color));
        using var empty = Boxes(10, 10);
        Assert.Empty(Cv.FindContours(empty));
    }

    [Fact]
    public void Planar_float_conversion_normalises_each_channel()
    {
        using var m = Solid(2, 3, 0, 128, 255);
        var t = new float[3 * 4 * 4];
        Array.Fill(t, -9f);
        Cv.ToPlanarFloat(m, t, 4, 4, [127.5f, 127.5f, 127.5f], [1 / 127.5f, 1 / 127.5f, 1 / 127.5f]);
        Assert.Equal(-1f, t[0], 4);
        Assert.Equal(0.5f / 127.5f, t[16], 4);
        Assert.Equal(1f, t[32 + 4 + 2], 4);
        Assert.Equal(-9f, t[3]); // padding column untouched
        Assert.Throws<OpenCvException>(() => Cv.ToPlanarFloat(m, t, 2, 2, [0, 0, 0], [1, 1, 1]));
    }

    [Fact]
    public void Crop_is_clipped_and_rejects_outside_rectangles()
    {
        using var m = Solid(10, 10, 1, 2, 3);
        using var c = m.Crop(5, 5, 20, 20);
        Assert.Equal((5, 5), (c.Rows, c.Cols));
        Assert.Throws<OpenCvException>(() => m.Crop(50, 50, 5, 5));
    }

    [Fact]
    public void Background_subtraction_finds_what_moved()
    {
        using var mog = BackgroundSubtractor.CreateMog2(history: 50, detectShadows: false);
        using var background = Solid(60, 80, 90, 90, 90);
        for (var i = 0; i < 30; i++) mog.Apply(background).Dispose();
        var px = background.Bytes.ToArray();
        for (var y = 20; y < 40; y++)
            for (var x = 30; x < 50; x++) { px[(y * 80 + x) * 3] = 250; px[(y * 80 + x) * 3 + 1] = 250; px[(y * 80 + x) * 3 + 2] = 250; }
        using var moved = Mat.Create(60, 80, Mat.Type8UC3, px);
        using var mask = mog.Apply(moved);
        Assert.Equal(255, mask.Bytes[30 * mask.Step + 40]);
        Assert.Equal(0, mask.Bytes[5 * mask.Step + 5]);
    }

    [Fact]
    public void Reads_the_sample_video_through_ffmpeg()
    {
        using var video = VideoSource.Open(TestData.File("video", "intel_car-detection.mp4"));
        Assert.Equal((768, 432), (video.Width, video.Height));
        Assert.Equal(12.5, video.Fps, 1);
        var frames = 0;
        while (frames < 20 && video.Read() is { } frame)
        {
            using (frame) Assert.Equal((432, 768, 3), (frame.Rows, frame.Cols, frame.Channels));
            frames++;
        }
        Assert.Equal(20, frames);
    }

    [Fact]
    public void Missing_video_and_unreachable_stream_fail_clearly()
    {
        var e = Assert.Throws<OpenCvException>(() => VideoSource.Open("/nonexistent/clip.mp4"));
        Assert.Contains("cannot open", e.Message);
        // Port 9 on loopback refuses at once: no waiting on a network timeout.
        Assert.Throws<OpenCvException>(() => VideoSource.Open("rtsp://127.0.0.1:9/none"));
        Assert.Throws<OpenCvException>(() => VideoSource.Open(""));
    }

    [Fact]
    public void Writes_a_video_and_reads_it_back_to_the_end()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tunnelcv-{Guid.NewGuid():N}.avi");
        try
        {
            using (var sink = VideoSink.Open(path, "MJPG", 10, 64, 48))
            {
                for (var i = 0; i < 15; i++)
                {
                    using var f = Solid(48, 64, (byte)(i * 10), 100, 50);
                    sink.Write(f);
                }
            }
            using var video = VideoSource.Open(path);
            var n = 0;
            while (video.Read() is { } frame) { frame.Dispose(); n++; }
            Assert.Equal(15, n);
            Assert.Null(video.Read());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Many_calls_leak_no_native_objects_or_memory()
    {
        var jpeg = File.ReadAllBytes(TestData.File("plates-dev", "easypr_0001.jpg"));
        void Round()
        {
            using var img = Cv.Decode(jpeg);
            using var small = Cv.Resize(img, img.Width / 2, img.Height / 2);
            using var hsv = Cv.CvtColor(small, ColorConversion.BgrToHsv);
            using var mask = Cv.InRange(hsv, [100, 80, 60], [130, 255, 255]);
            using var closed = Cv.Morphology(mask, MorphOp.Close, MorphShape.Rect, 9, 3);
            _ = Cv.FindContours(closed);
            _ = Cv.Encode(small, ".jpg");
        }
        for (var i = 0; i < 20; i++) Round();
        var before = Cv.LiveNativeObjects;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var rssBefore = Process.GetCurrentProcess().WorkingSet64;
        for (var i = 0; i < 400; i++) Round();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Process.GetCurrentProcess().Refresh();
        var grown = Process.GetCurrentProcess().WorkingSet64 - rssBefore;
        Assert.Equal(before, Cv.LiveNativeObjects);
        // 400 rounds decode ~400 MB of pixels in total: a leak of even one image per round would show as > 100 MB.
        Assert.True(grown < 40 * 1024 * 1024, $"working set grew by {grown / 1024 / 1024} MB over 400 rounds");
    }

    [Fact]
    public void Undisposed_mats_are_released_by_the_finalizer()
    {
        var before = Cv.LiveNativeObjects;
        static void Leak()
        {
            for (var i = 0; i < 50; i++) _ = Mat.Create(10, 10, Mat.Type8UC1);
        }
        Leak();
        for (var i = 0; i < 5 && Cv.LiveNativeObjects > before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.True(Cv.LiveNativeObjects <= before, $"{Cv.LiveNativeObjects - before} Mats still alive");
    }

    [Fact]
    public void Clone_is_deep_and_fill_sets_every_pixel()
    {
        using var m = Solid(4, 4, 1, 2, 3);
        using var copy = m.Clone();
        m.Fill(new BgrColor(9, 8, 7));
        Assert.Equal(new byte[] { 9, 8, 7 }, m.Bytes[^3..].ToArray());
        Assert.Equal(new byte[] { 1, 2, 3 }, copy.Bytes[..3].ToArray());
    }

    [Fact]
    public void Abs_diff_count_non_zero_and_convert_scale()
    {
        using var a = Boxes(10, 10, (2, 2, 3, 3));
        using var b = Boxes(10, 10, (2, 2, 3, 1));
        using var diff = Cv.AbsDiff(a, b);
        Assert.Equal(6, Cv.CountNonZero(diff));
        using var color = Solid(10, 10, 1, 1, 1);
        Assert.Throws<OpenCvException>(() => Cv.AbsDiff(a, color));
        Assert.Throws<OpenCvException>(() => Cv.CountNonZero(color));

        using var scaled = Cv.ConvertScale(color, 2, 10);
        Assert.Equal(12, scaled.Bytes[0]);
        using var saturated = Cv.ConvertScale(a, 3);
        Assert.Equal(255, saturated.Bytes[3 * saturated.Step + 3]);
    }

    [Fact]
    public void Mean_and_standard_deviation_with_and_without_a_mask()
    {
        using var img = Boxes(10, 10, (0, 0, 5, 10)); // half white
        var (mean, sd) = Cv.MeanStdDev(img);
        Assert.Equal(127.5, mean[0], 3);
        Assert.Equal(127.5, sd[0], 3);
        using var mask = Boxes(10, 10, (0, 0, 2, 2));
        var (maskedMean, maskedSd) = Cv.MeanStdDev(img, mask);
        Assert.Equal(255, maskedMean[0], 3);
        Assert.Equal(0, maskedSd[0], 3);
        using var wrongSize = Boxes(5, 5);
        Assert.Throws<OpenCvException>(() => Cv.MeanStdDev(img, wrongSize));
    }

    [Fact]
    public void Laplacian_variance_is_higher_for_a_sharp_image_than_for_its_blurred_copy()
    {
        var px = new byte[40 * 40];
        for (var i = 0; i < px.Length; i++) px[i] = (byte)(((i % 40) / 4 + i / 160) % 2 * 255); // 4-px checkerboard
        using var sharp = Mat.Create(40, 40, Mat.Type8UC1, px);
        using var small = Cv.Resize(sharp, 10, 10, Interpolation.Area);
        using var blurred = Cv.Resize(small, 40, 40, Interpolation.Linear);
        Assert.True(Cv.LaplacianVariance(sharp) > 4 * Cv.LaplacianVariance(blurred));
        using var flat = Solid(8, 8, 50, 50, 50);
        Assert.Equal(0, Cv.LaplacianVariance(flat), 6);
    }

    [Fact]
    public void Connected_components_report_boxes_and_areas()
    {
        using var img = Boxes(30, 40, (1, 1, 5, 4), (20, 10, 10, 10), (20, 20, 2, 2));
        var parts = Cv.ConnectedComponents(img).OrderBy(c => c.Box.X).ToArray();
        Assert.Equal(2, parts.Length); // the two touching boxes are one region
        Assert.Equal((new PixelBox(1, 1, 5, 4), 20), (parts[0].Box, parts[0].Area));
        Assert.Equal((new PixelBox(20, 10, 10, 12), 104), (parts[1].Box, parts[1].Area));
        using var empty = Boxes(5, 5);
        Assert.Empty(Cv.ConnectedComponents(empty));
        using var color = Solid(5, 5, 1, 1, 1);
        Assert.Throws<OpenCvException>(() => Cv.ConnectedComponents(color));
    }

    [Fact]
    public void Noise_is_reproducible_from_its_seed()
    {
        using var a = Solid(20, 20, 128, 128, 128);
        using var b = Solid(20, 20, 128, 128, 128);
        Cv.AddNoise(a, 5, 42);
        Cv.AddNoise(b, 5, 42);
        Assert.Equal(a.Bytes.ToArray(), b.Bytes.ToArray());
        var (_, sd) = Cv.MeanStdDev(a);
        Assert.InRange(sd[0], 3, 7);
    }

    [Fact]
    public void Fills_a_diamond_and_recovers_its_four_corners_from_the_contour()
    {
        using var img = Solid(60, 60, 0, 0, 0);
        (int X, int Y)[] diamond = [(30, 5), (55, 30), (30, 55), (5, 30)];
        Cv.FillPoly(img, diamond, new BgrColor(0, 0, 255));
        Assert.Equal(255, img.Bytes[30 * img.Step + 30 * 3 + 2]); // centre filled
        Assert.Equal(0, img.Bytes[8 * img.Step + 8 * 3 + 2]);     // corner of the bounding square not
        using var mask = Cv.InRange(img, [0, 0, 128], [0, 0, 255]);
        var contour = Cv.FindContours(mask).Single();
        var hull = Cv.ConvexHull(contour);
        Assert.True(hull.Length >= 4 && hull.Length <= contour.Length);
        var corners = Cv.ApproxPolyDP(hull, 2.0);
        Assert.Equal(4, corners.Length);
        foreach (var c in diamond) Assert.Contains(corners, p => Math.Abs(p.X - c.X) <= 2 && Math.Abs(p.Y - c.Y) <= 2);
        // An open polyline keeps its ends; a straight one reduces to them.
        Assert.Equal([(0, 0), (10, 0)], Cv.ApproxPolyDP([(0, 0), (5, 0), (10, 0)], 1.0, closed: false));
        Assert.Throws<ArgumentException>(() => Cv.ApproxPolyDP([], 1.0));
        Assert.Throws<OpenCvException>(() => Cv.ApproxPolyDP([(0, 0)], -1));
        Assert.Throws<OpenCvException>(() => Cv.FillPoly(img, [(0, 0), (1, 1)], new BgrColor(1, 1, 1)));
    }

    [Fact]
    public void Blur_smooths_and_canny_finds_the_edges_of_a_square()
    {
        using var img = Solid(40, 40, 0, 0, 0);
        Cv.Rectangle(img, new PixelBox(10, 10, 20, 20), BgrColor.Gray(255));
        using var blurred = Cv.GaussianBlur(img, 5);
        var edge = blurred.Bytes[20 * blurred.Step + 10 * 3];
        Assert.InRange(edge, (byte)60, (byte)200); // the step is now a ramp
        Assert.True(Cv.LaplacianVariance(blurred) < Cv.LaplacianVariance(img));
        Assert.Throws<OpenCvException>(() => Cv.GaussianBlur(img, 4));

        using var edges = Cv.Canny(img, 50, 150);
        Assert.Equal(1, edges.Channels);
        Assert.True(Cv.CountNonZero(edges) is > 60 and < 100, $"{Cv.CountNonZero(edges)} edge pixels"); // the square's outline
        Assert.Equal(0, edges.Bytes[20 * edges.Step + 20]); // nothing inside
    }

    [Fact]
    public void Draws_filled_and_outlined_rectangles_and_lines()
    {
        using var img = Solid(20, 20, 0, 0, 0);
        Cv.Rectangle(img, new PixelBox(2, 2, 5, 5), new BgrColor(255, 0, 0));
        Assert.Equal(new byte[] { 255, 0, 0 }, img.Bytes.Slice(4 * img.Step + 4 * 3, 3).ToArray());
        Cv.Rectangle(img, new PixelBox(10, 10, 6, 6), new BgrColor(0, 255, 0), thickness: 1);
        Assert.Equal(255, img.Bytes[10 * img.Step + 12 * 3 + 1]);
        Assert.Equal(0, img.Bytes[12 * img.Step + 12 * 3 + 1]); // outline only
        Cv.Line(img, (0, 18), (19, 18), new BgrColor(0, 0, 255), 1);
        Assert.True(img.Bytes[18 * img.Step + 10 * 3 + 2] > 200);
        Assert.Throws<OpenCvException>(() => Cv.Line(img, (0, 0), (5, 5), new BgrColor(1, 1, 1), 0));
    }

    [Fact]
    public void Draws_chinese_plate_text_with_a_cjk_font()
    {
        using var font = FontFace.Load(FontFace.NotoSansCjk);
        var (w, h) = font.Measure("浙J12345", 40);
        Assert.InRange(h, 25, 50);
        Assert.InRange(w, 4 * h, 10 * h); // seven glyphs, the CJK one about square
        using var img = Solid(80, 300, 180, 70, 10);
        font.PutText(img, "浙J12345", 10, 20, 40, new BgrColor(255, 255, 255));
        using var gray = Cv.CvtColor(img, ColorConversion.BgrToGray);
        using var white = Cv.Threshold(gray, 200, 255, ThresholdType.Binary, out _);
        var ink = Cv.ConnectedComponents(white);
        Assert.True(ink.Count >= 7, $"{ink.Count} glyph parts"); // 浙 alone has several strokes
        var left = ink.Min(c => c.Box.X);
        var top = ink.Min(c => c.Box.Y);
        Assert.InRange(left, 8, 16);
        Assert.InRange(top, 16, 28);
        Assert.True(ink.Max(c => c.Box.Right) <= 10 + w + 3);

        Assert.Throws<FileNotFoundException>(() => FontFace.Load("/nonexistent/font.ttf"));
        using var grayImg = Boxes(10, 10);
        Assert.Throws<OpenCvException>(() => font.PutText(grayImg, "x", 0, 0, 8, new BgrColor(1, 1, 1)));
    }

    [Fact]
    public void Fonts_are_released()
    {
        var before = Cv.LiveNativeObjects;
        using (FontFace.Load(FontFace.NotoSansCjk)) Assert.Equal(before + 1, Cv.LiveNativeObjects);
        Assert.Equal(before, Cv.LiveNativeObjects);
    }
}
