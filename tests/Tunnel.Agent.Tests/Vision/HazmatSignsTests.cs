using System.Diagnostics;
using Tunnel.Agent.Tests.Support;
using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;
using Xunit.Abstractions;

namespace Tunnel.Agent.Tests.Vision;

/// <summary>
/// Hazard signs drawn on truck-like bodies (noise, blur, rotation, perspective, several sizes) must be found;
/// ordinary vehicles drawn the same way, including an orange body and decoys (a plain orange board, a yellow
/// warning triangle), must not.
/// </summary>
public sealed class HazmatSignsTests(PlateReaderFixture fixture, ITestOutputHelper output) : IClassFixture<PlateReaderFixture>
{
    private const int Width = 480, Height = 400;

    /// <summary>What one rendered case holds.</summary>
    public enum Mark { None, Panel, PlainPanel, Placard, RoofLamp, OrangeBoard, WarningTriangle }

    private sealed record Case(Mark Mark, PlacardClass Placard, BgrColor Body, double Scale, double Turn, double Tilt, int Blur, double Noise, string Name);

    private static readonly BgrColor[] Bodies = [BgrColor.Gray(225), new(175, 170, 165), new(150, 80, 30), BgrColor.Gray(60)];

    private static IEnumerable<Case> Cases(Mark[] marks)
    {
        double[] scales = [0.7, 1.0, 1.4];
        (double Turn, double Tilt)[] poses = [(0, 0), (-7, 0.06), (5, -0.08)];
        int[] blurs = [0, 3, 5];
        var i = 0;
        foreach (var mark in marks)
            foreach (var cls in mark == Mark.Placard ? Enum.GetValues<PlacardClass>() : [PlacardClass.FlammableLiquid])
                foreach (var scale in scales)
                    foreach (var (turn, tilt) in poses)
                    {
                        var body = Bodies[i % Bodies.Length];
                        var blur = blurs[i % blurs.Length];
                        var noise = 3 + i % 3 * 2;
                        i++;
                        yield return new Case(mark, cls, body, scale, turn, tilt, blur, noise, $"{mark}{(mark == Mark.Placard ? "-" + cls : "")} x{scale} turn {turn} tilt {tilt} blur {blur} body {body}");
                    }
    }

    /// <summary>A truck's front as the portal camera's vehicle crop shows it: body, windscreen, plate, and the mark.</summary>
    private static Mat Render(Case c, FontFace font)
    {
        using var upright = Mat.Create(Height, Width, Mat.Type8UC3);
        upright.Fill(BgrColor.Gray(88));
        Cv.Rectangle(upright, new PixelBox(40, 0, Width - 80, Height - 20), c.Body);
        Cv.Rectangle(upright, new PixelBox(70, 30, Width - 140, 90), BgrColor.Gray(35));
        Cv.Rectangle(upright, new PixelBox(Width / 2 - 70, Height - 80, 140, 45), new BgrColor(0, 190, 245));
        font.PutText(upright, "浙A8B2C7", Width / 2 - 60, Height - 72, 28, BgrColor.Gray(10));
        var s = c.Scale;
        var (cx, cy) = (Width / 2, 200);
        switch (c.Mark)
        {
            case Mark.Panel: HazmatPainter.OrangePanel(upright, font, cx, cy, (int)(80 * s)); break;
            case Mark.PlainPanel: HazmatPainter.OrangePanel(upright, font, cx, cy, (int)(80 * s), "", ""); break;
            case Mark.Placard: HazmatPainter.Placard(upright, font, cx, cy, (int)(90 * s), c.Placard); break;
            case Mark.RoofLamp: HazmatPainter.RoofLamp(upright, font, cx, cy + (int)(40 * s), (int)(100 * s)); break;
            case Mark.OrangeBoard:
                // Orange without the black border: a painted body part or an advertisement, not a GB 13392 panel.
                Cv.Rectangle(upright, new PixelBox(cx - (int)(45 * s), cy - (int)(30 * s), (int)(90 * s), (int)(60 * s)), HazmatPainter.Orange);
                break;
            case Mark.WarningTriangle:
                // A road warning sign's look: amber triangle, black rim, a pictogram but no 危险.
                var b = (int)(100 * s);
                Cv.FillPoly(upright, [(cx, cy - b * 6 / 10), (cx + b / 2, cy + b / 3), (cx - b / 2, cy + b / 3)], BgrColor.Gray(15));
                Cv.FillPoly(upright, [(cx, cy - b * 6 / 10 + 8), (cx + b / 2 - 7, cy + b / 3 - 4), (cx - b / 2 + 7, cy + b / 3 - 4)], new BgrColor(0, 200, 255));
                Cv.Rectangle(upright, new PixelBox(cx - 3, cy - b / 5, 6, b / 3), BgrColor.Gray(15));
                break;
        }
        // Turn and tilt the whole view: the quad sampled from the upright image becomes the output frame.
        var (sin, cos) = Math.SinCos(c.Turn * Math.PI / 180);
        (float X, float Y) At(double x, double y)
        {
            var (dx, dy) = (x - Width / 2.0, y - Height / 2.0);
            var k = 1 + c.Tilt * dy / Height; // a trapezoid: the top shrinks or grows
            return ((float)(Width / 2.0 + k * (dx * cos - dy * sin)), (float)(Height / 2.0 + dx * sin + dy * cos));
        }
        using var turned = Cv.WarpPerspective(upright, [At(0, 0), At(Width, 0), At(Width, Height), At(0, Height)], Width, Height);
        var result = c.Blur > 0 ? Cv.GaussianBlur(turned, c.Blur) : turned.Clone();
        Cv.AddNoise(result, c.Noise, (ulong)c.Name.Length * 7919 + (ulong)(c.Scale * 100));
        return result;
    }

    [Fact]
    public void Drawn_hazard_signs_are_found_and_ordinary_vehicles_and_decoys_are_not()
    {
        var signs = new HazmatSigns(fixture.Reader.Recognizer, fixture.Reader.Decoder);
        using var font = FontFace.Load(FontFace.NotoSansCjk);
        var positives = Cases([Mark.Panel, Mark.Placard, Mark.RoofLamp]).ToArray();
        var negatives = Cases([Mark.None, Mark.OrangeBoard, Mark.PlainPanel, Mark.WarningTriangle]).ToArray();
        var times = new List<double>();
        var shapeTimes = new List<double>();
        var shapesOnly = new HazmatSigns();
        var missed = new List<string>();
        var falseAlarms = new List<string>();
        foreach (var c in positives.Concat(negatives))
        {
            using var image = Render(c, font);
            var clock = Stopwatch.StartNew();
            var found = signs.Detect(image);
            times.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            shapesOnly.Detect(image);
            shapeTimes.Add(clock.Elapsed.TotalMilliseconds);
            var detail = $"{c.Name}: {found.Confidence:F2} {string.Join(" ", found.Signs.Select(s => $"{s.Kind}:{s.Confidence:F2}:{s.Text}"))}";
            if (c.Mark is Mark.None or Mark.OrangeBoard or Mark.PlainPanel or Mark.WarningTriangle)
            {
                if (found.IsHazmat) falseAlarms.Add(detail);
            }
            else if (!found.IsHazmat) missed.Add(detail);
            else output.WriteLine("found " + detail);
        }
        foreach (var m in missed) output.WriteLine("missed " + m);
        foreach (var f in falseAlarms) output.WriteLine("false alarm " + f);
        foreach (var g in positives.GroupBy(p => p.Mark))
            output.WriteLine($"{g.Key}: {g.Count(p => !missed.Any(m => m.StartsWith(p.Name + ":")))}/{g.Count()} found");
        output.WriteLine($"detected {positives.Length - missed.Count}/{positives.Length}, false alarms {falseAlarms.Count}/{negatives.Length}, " +
                         $"median {times.Order().ElementAt(times.Count / 2):F1} ms, max {times.Max():F1} ms; without OCR median {shapeTimes.Order().ElementAt(times.Count / 2):F1} ms");

        // Floors at what the detector reaches today (see the issue report): small, blurred panels and white
        // placards are its known weak points; a change that finds fewer fails here.
        Assert.True(positives.Length - missed.Count >= 39, $"{missed.Count} of {positives.Length} signs missed:\n{string.Join("\n", missed)}");
        Assert.Empty(falseAlarms);
    }

    [Fact]
    public void A_hazmat_tanker_among_ordinary_traffic_is_the_only_hazmat_passage()
    {
        var dir = Directory.CreateTempSubdirectory("tunnel-hazmat-").FullName;
        try
        {
            // One of the ordinary cars gets the orange body (the renderer picks the colour from the plate).
            var orangeCar = Enumerable.Range(0, 10).Select(d => $"浙A8B2C{d}").First(p => p.Sum(c => c) % 10 == 5);
            SyntheticVehicle[] traffic =
            [
                new(1, 0.5, "浙J12345"),
                new(2, 0.8, orangeCar),
                new(1, 2.2, "浙D9E8F7", PlateColor.Yellow, VehicleClass.Truck, 30, Hazmat: true),
                new(2, 2.6, "浙C13579", PlateColor.Yellow, VehicleClass.Truck, 35),
                new(1, 5.4, "苏E5F6G8", Class: VehicleClass.Van),
            ];
            var clip = SyntheticTraffic.Render(Path.Combine(dir, "hazmat.avi"), 1280, 720, 25, traffic);
            using var detector = new PassageDetector(clip.Lanes, fixture.Reader);
            var passed = ClipRunner.Run(clip.Path, detector);
            foreach (var p in passed)
                output.WriteLine($"lane {p.Lane} {p.Plate?.Text ?? "-"} {p.Class} hazmat {p.Hazmat} {p.HazmatConfidence:F2} reads {p.Reads}");
            output.WriteLine($"recognition {detector.Counters.RecognitionMilliseconds / passed.Count:F0} ms per vehicle");

            Assert.Equal(traffic.Length, passed.Count);
            var hazmat = Assert.Single(passed, p => p.Hazmat);
            Assert.Equal("浙D9E8F7", hazmat.Plate?.Text);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
