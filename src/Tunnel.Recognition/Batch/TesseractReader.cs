using System.Diagnostics;
using System.Runtime.InteropServices;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Batch;

/// <summary>
/// Debian's Tesseract 5 (chi_sim) through its C API, as the peer the benchmark compares against: models
/// loaded once, one line per crop (page segmentation mode 7), no plate-specific tuning.
/// </summary>
public sealed partial class TesseractReader : IDisposable
{
    private const string Lib = "libtesseract.so.5";
    private nint _api;

    [LibraryImport(Lib)] private static partial nint TessBaseAPICreate();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] private static partial int TessBaseAPIInit3(nint api, string? dataPath, string language);
    [LibraryImport(Lib)] private static partial void TessBaseAPISetPageSegMode(nint api, int mode);
    [LibraryImport(Lib)] private static partial void TessBaseAPISetImage(nint api, nint data, int width, int height, int bytesPerPixel, int bytesPerLine);
    [LibraryImport(Lib)] private static partial nint TessBaseAPIGetUTF8Text(nint api);
    [LibraryImport(Lib)] private static partial void TessDeleteText(nint text);
    [LibraryImport(Lib)] private static partial void TessBaseAPIDelete(nint api);

    public TesseractReader(string language = "chi_sim")
    {
        try
        {
            _api = TessBaseAPICreate();
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("libtesseract.so.5 not found: apt-get install -y tesseract-ocr tesseract-ocr-chi-sim", e);
        }
        if (TessBaseAPIInit3(_api, null, language) != 0)
        {
            TessBaseAPIDelete(_api);
            _api = 0;
            throw new InvalidOperationException($"Tesseract could not load language '{language}': apt-get install -y tesseract-ocr-chi-sim");
        }
        TessBaseAPISetPageSegMode(_api, 7 /* PSM_SINGLE_LINE */);
    }

    /// <summary>The text of one line image, with whitespace and separators removed.</summary>
    public unsafe string ReadLine(Mat bgr)
    {
        ObjectDisposedException.ThrowIf(_api == 0, this);
        using var rgb = Cv.CvtColor(bgr, ColorConversion.BgrToRgb);
        fixed (byte* p = rgb.Bytes)
        {
            TessBaseAPISetImage(_api, (nint)p, rgb.Width, rgb.Height, 3, rgb.Step);
            var text = TessBaseAPIGetUTF8Text(_api);
            try
            {
                var s = Marshal.PtrToStringUTF8(text) ?? "";
                return new string(s.Where(c => !char.IsWhiteSpace(c) && c is not ('·' or '.' or '-' or '•')).ToArray());
            }
            finally
            {
                TessDeleteText(text);
            }
        }
    }

    /// <summary>Reads every crop in a folder the way <see cref="RecognizeFolder"/> does, for a side-by-side report.</summary>
    public RecognitionReport ReadFolder(string imagesDir, int? limit = null)
    {
        var files = Directory.EnumerateFiles(imagesDir).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Take(limit ?? int.MaxValue).ToList();
        var outcomes = new List<ImageOutcome>();
        foreach (var f in files)
        {
            var clock = Stopwatch.StartNew();
            using var img = Cv.Read(f);
            var text = ReadLine(img);
            var result = text.Length == 0 ? null : new PlateResult
            {
                Text = text, Color = Tunnel.Core.Contracts.PlateColor.Unknown, Confidence = 0, CharConfidences = [], Box = [], Method = "tesseract",
            };
            outcomes.Add(new ImageOutcome(Path.GetFileName(f), result, clock.Elapsed.TotalMilliseconds, null));
        }
        var labelsPath = Path.Combine(imagesDir, "labels.csv");
        return new RecognitionReport(imagesDir + " (Tesseract chi_sim)", outcomes, File.Exists(labelsPath) ? Labels.Load(labelsPath) : null);
    }

    public void Dispose()
    {
        if (_api != 0) TessBaseAPIDelete(_api);
        _api = 0;
    }
}
