using Tunnel.Core.Contracts;
using Tunnel.Recognition.Batch;
using Tunnel.Recognition.Models;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

/// <summary>One reader and one run per data set, shared by the tests that look at its figures.</summary>
public sealed class RecognitionRuns : IDisposable
{
    public PlateReader Reader { get; } = PlateReader.Create();
    private readonly Dictionary<string, RecognitionReport> _runs = [];
    public string OutDir { get; } = Path.Combine(Path.GetTempPath(), $"tunnel-recognize-{Guid.NewGuid():N}");

    public RecognitionReport Run(string folder)
    {
        lock (_runs)
        {
            if (!_runs.TryGetValue(folder, out var report))
                _runs[folder] = report = RecognizeFolder.Run(Reader, TestData.Folder(folder), Path.Combine(OutDir, folder + ".csv"));
            return report;
        }
    }

    public void Dispose()
    {
        Reader.Dispose();
        if (Directory.Exists(OutDir)) Directory.Delete(OutDir, recursive: true);
    }
}

/// <summary>
/// Accuracy on the real photographs in shared/data. The floors are what this pipeline reaches today
/// (measured figures in models/MODEL_CARD.md), so a change that makes recognition worse fails here.
/// The issue's targets: 95 % scenes and 97 % colour are reached; 99 % crops is higher and not reached yet.
/// </summary>
public class RecognitionAccuracyTests(RecognitionRuns runs) : IClassFixture<RecognitionRuns>
{
    public const double SceneExactFloor = 0.945;
    public const double CropExactFloor = 0.977;
    public const double SceneColourFloor = 0.98;

    [Fact]
    public void Scene_photos_meet_the_exact_plate_floor()
    {
        var r = runs.Run("plates-dev");
        Assert.Equal(100, r.Labelled.Count);
        Assert.True(r.ExactAccuracy >= SceneExactFloor, $"exact {r.ExactAccuracy:P1} < {SceneExactFloor:P0}\n{r.Format()}");
    }

    [Fact]
    public void Scene_photos_meet_the_colour_floor()
    {
        var r = runs.Run("plates-dev");
        var (right, total) = r.ColourRead;
        Assert.True(total >= 98, $"only {total} plates read");
        Assert.True((double)right / total >= SceneColourFloor, $"colour right on {right}/{total}\n{r.Format()}");
    }

    [Fact]
    public void Plate_crops_meet_the_exact_plate_floor()
    {
        var r = runs.Run("plate-crops-dev");
        Assert.Equal(602, r.Labelled.Count);
        Assert.True(r.ExactAccuracy >= CropExactFloor, $"exact {r.ExactAccuracy:P1} < {CropExactFloor:P0}\n{r.Format()}");
        Assert.True(r.CharAccuracy >= 0.99, $"character accuracy {r.CharAccuracy:P1}");
    }

    [Fact]
    public void Writes_one_csv_row_per_image_with_empty_plates_where_none_was_found()
    {
        var r = runs.Run("plates-dev");
        var lines = File.ReadAllLines(Path.Combine(runs.OutDir, "plates-dev.csv"));
        Assert.Equal(RecognizeFolder.CsvHeader, lines[0]);
        Assert.Equal(r.Outcomes.Count + 1, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Equal(7, l.Split(',').Length));
        var unread = r.Outcomes.Where(o => o.Result is null).Select(o => o.File).ToHashSet();
        Assert.All(lines.Skip(1).Where(l => unread.Contains(l.Split(',')[0])), l => Assert.Equal("", l.Split(',')[1]));
        Assert.Contains(lines, l => l.StartsWith("easypr_0001.jpg,川R35779,", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_prints_every_figure_the_issue_asks_for()
    {
        var text = runs.Run("plates-dev").Format();
        foreach (var part in new[] { "exact plate accuracy", "character accuracy", "blue", "yellow", "colour right", "confusions", "median", "p95" })
            Assert.Contains(part, text);
    }

    [Theory]
    [InlineData("wepr_0008.png", "沪AN9241", PlateColor.Yellow)] // double-row motorcycle plate
    [InlineData("wepr_0005.jpg", "沪A1707领", PlateColor.Black)]  // consulate plate with suffix
    [InlineData("easypr_0020.jpg", "皖Q0686学", PlateColor.Yellow)]
    [InlineData("wepr_0007.jpg", "皖K66666", PlateColor.Yellow)]
    public void Reads_special_plates(string file, string plate, PlateColor colour)
    {
        var result = runs.Reader.Read(File.ReadAllBytes(TestData.File("plates-dev", file)));
        Assert.NotNull(result);
        Assert.Equal(plate, result.Text);
        Assert.Equal(colour, result.Color);
        Assert.Equal(plate.Length, result.CharConfidences.Count);
        Assert.Equal(4, result.Box.Count);
    }

    [Fact]
    public void Region_of_interest_restricts_the_search()
    {
        var bytes = File.ReadAllBytes(TestData.File("plates-dev", "easypr_0001.jpg"));
        using var image = Cv.Decode(bytes);
        var full = runs.Reader.Read(image)!;
        var xs = full.Box.Select(p => p.X).ToArray();
        var ys = full.Box.Select(p => p.Y).ToArray();
        // A region around the plate finds it at the same place in frame coordinates...
        var roi = new RegionOfInterest((int)xs.Min() - 40, (int)ys.Min() - 40, (int)(xs.Max() - xs.Min()) + 80, (int)(ys.Max() - ys.Min()) + 80);
        var inRoi = runs.Reader.Read(image, roi)!;
        Assert.Equal(full.Text, inRoi.Text);
        // The detector sees a differently scaled image, so the corners may move by a pixel or two.
        Assert.InRange(Math.Abs(full.Box[0].X - inRoi.Box[0].X), 0, 4);
        Assert.InRange(Math.Abs(full.Box[0].Y - inRoi.Box[0].Y), 0, 4);
        // ...and a region away from it (the top-left corner) finds nothing.
        Assert.Null(runs.Reader.Read(image, new RegionOfInterest(0, 0, 60, 40)));
    }

    [Fact]
    public void A_corrupt_image_is_reported_not_thrown()
    {
        var dir = Path.Combine(runs.OutDir, "corrupt");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        var report = RecognizeFolder.Run(runs.Reader, dir, Path.Combine(dir, "out.csv"));
        var o = Assert.Single(report.Outcomes);
        Assert.Null(o.Result);
        Assert.Contains("corrupt", o.Error);
        Assert.False(report.HasLabels);
    }

    [Fact]
    public void A_missing_model_fails_with_one_clear_message()
    {
        var dir = Path.Combine(runs.OutDir, "models");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(ModelStore.Open().Directory, "manifest.json"), Path.Combine(dir, "manifest.json"));
        var e = Assert.Throws<ModelFileException>(() => PlateReader.Create(new PlateReaderOptions { ModelsDirectory = dir }));
        Assert.Contains("models/restore.sh", e.Message);
    }

    [Fact]
    public void Tesseract_runs_side_by_side_on_the_same_crops()
    {
        using var tess = new TesseractReader();
        var t = tess.ReadFolder(TestData.Folder("plate-crops-dev"), limit: 20);
        Assert.Equal(20, t.Outcomes.Count);
        // The comparison's point: a generic OCR does not read these plates.
        var ours = runs.Run("plate-crops-dev");
        var oursOnSame = t.Outcomes.Count(o => ours.Labelled.Any(x => x.o.File == o.File && RecognitionReport.PlateMatches(x.o.Plate, x.Item2.Plate)));
        Assert.True(oursOnSame > t.Labelled.Count(x => RecognitionReport.PlateMatches(x.o.Plate, x.Item2.Plate)));
    }
}
