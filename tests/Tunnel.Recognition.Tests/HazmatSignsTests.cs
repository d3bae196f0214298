using System.Diagnostics;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;
using Xunit.Abstractions;

namespace Tunnel.Recognition.Tests;

/// <summary>
/// No hazard sign on ordinary vehicles: the 100 real scene photos of plates-dev hold none, so every hazmat
/// report there is a false alarm; the drawn signs are checked in Tunnel.Agent.Tests (HazmatSignsTests).
/// </summary>
public sealed class HazmatSignsTests(RecognitionRuns runs, ITestOutputHelper output) : IClassFixture<RecognitionRuns>
{
    [Fact]
    public void Real_scene_photos_of_ordinary_vehicles_raise_no_hazmat()
    {
        var signs = new HazmatSigns(runs.Reader.Recognizer, runs.Reader.Decoder);
        var report = runs.Run("plates-dev");
        var files = report.Outcomes.Select(o => Path.Combine(TestData.Folder("plates-dev"), o.File)).ToArray();
        Assert.Equal(100, files.Length);
        var alarms = new List<string>();
        var times = new List<double>();
        foreach (var file in files)
        {
            using var image = Cv.Read(file);
            var clock = Stopwatch.StartNew();
            var found = signs.Detect(image);
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (found.Signs.Count > 0)
                output.WriteLine($"{Path.GetFileName(file)} {found.Confidence:F2} {string.Join(" ", found.Signs.Select(s => $"{s.Kind}:{s.Confidence:F2}:{s.Text}"))}");
            if (found.IsHazmat) alarms.Add(Path.GetFileName(file));
        }
        output.WriteLine($"false alarms {alarms.Count}/100; median {times.Order().ElementAt(50):F1} ms, max {times.Max():F1} ms");
        Assert.True(alarms.Count == 0, $"hazmat reported on ordinary vehicles: {string.Join(", ", alarms)}");

        // The reader's own results (signs plus the OCR's free text) agree.
        Assert.DoesNotContain(report.Outcomes, o => o.Result is { Hazmat: true });
    }

    [Fact]
    public void Confidences_of_different_signs_add_up_and_text_alone_decides()
    {
        Assert.Equal(0, HazmatSigns.Combine([]));
        Assert.Equal(0.75, HazmatSigns.Combine([0.5, 0.5]), 6);
        // A plain orange board (0.45) and a white placard (0.4) are each too weak alone, together enough.
        Assert.True(HazmatSigns.Combine([0.45]) < HazmatSigns.Threshold);
        Assert.True(HazmatSigns.Combine([0.45, 0.4]) >= HazmatSigns.Threshold);
        Assert.True(Hazmat.FromText("危险品") >= HazmatSigns.Threshold);
        Assert.Equal(0, Hazmat.FromText("浙A8B2C7"));
    }

    [Fact]
    public void An_image_without_signs_finds_none()
    {
        using var grey = Mat.Create(240, 320, Mat.Type8UC3);
        grey.Fill(BgrColor.Gray(120));
        var found = new HazmatSigns().Detect(grey);
        Assert.Same(HazmatFinding.None, found);
        Assert.False(found.IsHazmat);
    }
}
