using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Batch;

/// <summary>One image's outcome in a folder run.</summary>
public sealed record ImageOutcome(string File, PlateResult? Result, double Milliseconds, string? Error)
{
    public string Plate => Result?.Text ?? "";
}

/// <summary>
/// `tunnel recognize --images DIR --out FILE.csv`: reads every image in a folder (scene photos, or tight
/// plate crops, told apart by size), writes one CSV row per image and, when a labels.csv lies beside the
/// images, scores the run.
/// </summary>
public static class RecognizeFolder
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"];

    public static RecognitionReport Run(string imagesDir, string outCsv, IProgress<(int Done, int Total)>? progress = null, PlateReaderOptions? options = null)
    {
        using var reader = PlateReader.Create(options);
        return Run(reader, imagesDir, outCsv, progress);
    }

    public static RecognitionReport Run(PlateReader reader, string imagesDir, string? outCsv, IProgress<(int Done, int Total)>? progress = null)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"image folder not found: {imagesDir}");
        var files = Directory.EnumerateFiles(imagesDir)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToList();
        var outcomes = new List<ImageOutcome>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            outcomes.Add(ReadOne(reader, files[i]));
            progress?.Report((i + 1, files.Count));
        }
        if (outCsv is not null) WriteCsv(outCsv, outcomes);
        var labelsPath = Path.Combine(imagesDir, "labels.csv");
        var labels = File.Exists(labelsPath) ? Labels.Load(labelsPath) : null;
        return new RecognitionReport(imagesDir, outcomes, labels);
    }

    /// <summary>Tight crops are small; anything bigger is treated as a scene and searched for plates.</summary>
    public static bool LooksLikeCrop(Mat image) => image.Width <= 400 && image.Height <= 200;

    public static ImageOutcome ReadOne(PlateReader reader, string path)
    {
        var name = Path.GetFileName(path);
        var clock = Stopwatch.StartNew();
        try
        {
            var bytes = File.ReadAllBytes(path);
            using var image = Cv.Decode(bytes);
            var result = LooksLikeCrop(image) ? reader.ReadCrop(image) : reader.Read(image);
            return new ImageOutcome(name, result, clock.Elapsed.TotalMilliseconds, null);
        }
        catch (OpenCvException e)
        {
            return new ImageOutcome(name, null, clock.Elapsed.TotalMilliseconds, e.Message);
        }
    }

    public const string CsvHeader = "file,plate,color,confidence,vehicle_class,hazmat,ms";

    private static void WriteCsv(string path, IEnumerable<ImageOutcome> outcomes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var sb = new StringBuilder().Append(CsvHeader).Append('\n');
        foreach (var o in outcomes)
        {
            var r = o.Result;
            sb.Append(Csv(o.File)).Append(',')
              .Append(r?.Text ?? "").Append(',')
              .Append(r is null ? "" : TunnelJson.Name(r.Color)).Append(',')
              .Append(r is null ? "" : r.Confidence.ToString("0.000", CultureInfo.InvariantCulture)).Append(',')
              .Append(r is null ? "" : TunnelJson.Name(r.VehicleClass)).Append(',')
              .Append(r is { Hazmat: true } ? "true" : "false").Append(',')
              .Append(o.Milliseconds.ToString("0.0", CultureInfo.InvariantCulture)).Append('\n');
        }
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }

    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

/// <summary>labels.csv: file,plate,color[,...].</summary>
public static class Labels
{
    public sealed record Label(string Plate, PlateColor Color);

    public static IReadOnlyDictionary<string, Label> Load(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return new Dictionary<string, Label>();
        var header = lines[0].Split(',');
        int fi = Array.IndexOf(header, "file"), pi = Array.IndexOf(header, "plate"), ci = Array.IndexOf(header, "color");
        if (fi < 0 || pi < 0) throw new InvalidDataException($"{path}: needs columns file,plate[,color]");
        var result = new Dictionary<string, Label>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0) continue;
            var f = line.Split(',');
            var color = ci >= 0 && ci < f.Length && Enum.TryParse<PlateColor>(f[ci], ignoreCase: true, out var c) ? c : PlateColor.Unknown;
            result[f[fi]] = new Label(f[pi], color);
        }
        return result;
    }
}
