using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Tests.Support;

/// <summary>
/// A vehicle to draw. It enters the top of its lane at <paramref name="EnterAt"/> seconds and drives down the
/// image (towards the camera, front first, as a portal entry camera sees traffic) at <paramref name="SpeedKmh"/>.
/// With <paramref name="StopSeconds"/> it halts with its middle on the loop line for that long, then drives on.
/// </summary>
public sealed record SyntheticVehicle(int Lane, double EnterAt, string Plate, PlateColor PlateColor = PlateColor.Blue,
    VehicleClass Class = VehicleClass.Car, double SpeedKmh = 40, double StopSeconds = 0);

/// <summary>What was drawn for one vehicle: when its front reached the loop line, which is when a passage is due.</summary>
public sealed record DrawnVehicle(SyntheticVehicle Vehicle, double ReachesLoopAt, double LeavesAt, double LengthMetres, double WidthMetres);

/// <summary>A rendered clip: the file, its frames, the lane views to give the detector, and the vehicles drawn in it.</summary>
public sealed record SyntheticClip(string Path, int Width, int Height, double Fps, int Frames, IReadOnlyList<LaneView> Lanes,
    IReadOnlyList<DrawnVehicle> Drawn);

/// <summary>
/// Renders traffic for the vision tests and end-to-end tests: a grey road seen from above with lanes running
/// down the image (each lane 3.75 m, the frame 7.5 m of road tall), vehicles as coloured bodies with a dark
/// windscreen, and Chinese plates drawn with the CJK font (white on blue, black on yellow, black on green).
/// Plates are drawn larger than to scale (about 0.8 of the vehicle's width), as an oblique portal camera would see
/// them, while bodies keep their true footprint for the size-based class. Sensor noise is added to every frame.
/// </summary>
public static class SyntheticTraffic
{
    public const double LaneWidthMetres = 3.75;
    public const double ViewLengthMetres = 7.5;
    public const double LoopLine = 0.6;
    private const double NoiseStdDev = 3;
    private static readonly BgrColor Road = BgrColor.Gray(88);
    private static readonly BgrColor Marking = BgrColor.Gray(220);
    private static readonly BgrColor[] BodyColours =
    [
        new(40, 40, 200), new(230, 230, 230), new(200, 120, 40), new(30, 30, 30), new(60, 160, 60),
        new(0, 140, 230), new(160, 160, 170), new(120, 40, 120), new(20, 60, 120), new(200, 200, 90),
    ];

    /// <summary>Writes the clip to <paramref name="path"/> (".avi": MJPG; ".mp4": mp4v) and returns what it holds.</summary>
    public static SyntheticClip Render(string path, int width, int height, double fps, IReadOnlyList<SyntheticVehicle> vehicles,
        double tailSeconds = 0.6)
    {
        var scene = new Scene(width, height, vehicles.Count == 0 ? 1 : vehicles.Max(v => v.Lane));
        var drawn = vehicles.Select(scene.Plan).ToArray();
        var duration = (drawn.Length == 0 ? 0 : drawn.Max(d => d.LeavesAt)) + tailSeconds;
        var frames = (int)Math.Ceiling(duration * fps);
        var fourcc = path.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase) ? "mp4v" : "MJPG";
        using var font = FontFace.Load(FontFace.NotoSansCjk);
        using var background = scene.Background();
        using (var sink = VideoSink.Open(path, fourcc, fps, width, height))
        {
            for (var i = 0; i < frames; i++)
            {
                using var frame = scene.Frame(background, font, drawn, i / fps, (ulong)i + 1);
                sink.Write(frame);
            }
        }
        return new SyntheticClip(path, width, height, fps, frames, scene.Lanes, drawn);
    }

    /// <summary>One still photo of a vehicle with its middle on the loop line (image-folder sources).</summary>
    public static Mat Still(int width, int height, SyntheticVehicle vehicle)
    {
        var scene = new Scene(width, height, vehicle.Lane);
        var drawn = scene.Plan(vehicle with { EnterAt = 0 });
        using var font = FontFace.Load(FontFace.NotoSansCjk);
        using var background = scene.Background();
        var front = scene.LoopY + scene.Px(drawn.LengthMetres) / 2;
        var frame = background.Clone();
        scene.DrawVehicle(frame, font, drawn, front);
        Cv.AddNoise(frame, NoiseStdDev, 7);
        return frame;
    }

    private sealed class Scene(int width, int height, int laneCount)
    {
        private readonly double _ppm = height / ViewLengthMetres;
        private int LaneWidth => Px(LaneWidthMetres);
        private int RoadLeft => (width - laneCount * LaneWidth) / 2;
        public int LoopY => (int)Math.Round(LoopLine * height);

        public int Px(double metres) => (int)Math.Round(metres * _ppm);

        public IReadOnlyList<LaneView> Lanes => Enumerable.Range(1, laneCount)
            .Select(l => new LaneView(l, new RegionOfInterest(RoadLeft + (l - 1) * LaneWidth, 0, LaneWidth, height), LoopLine, _ppm))
            .ToArray();

        public DrawnVehicle Plan(SyntheticVehicle v)
        {
            if (v.Lane < 1 || v.Lane > laneCount) throw new ArgumentException($"lane {v.Lane} outside 1..{laneCount}");
            if (RoadLeft < 0) throw new ArgumentException($"{laneCount} lanes do not fit in {width} pixels");
            var (length, widthM) = Footprint(v.Class);
            var speed = Speed(v);
            var reachesLoop = v.EnterAt + LoopY / speed;
            var leaves = v.EnterAt + (height + Px(length)) / speed + v.StopSeconds;
            return new DrawnVehicle(v, reachesLoop, leaves, length, widthM);
        }

        private double Speed(SyntheticVehicle v) => v.SpeedKmh / 3.6 * _ppm; // pixels per second

        /// <summary>Front (lowest pixel row) of the vehicle at time t: moving down, halted with its middle on the loop if asked.</summary>
        private double FrontAt(DrawnVehicle d, double t)
        {
            var v = d.Vehicle;
            var travelled = (t - v.EnterAt) * Speed(v);
            if (v.StopSeconds <= 0) return travelled;
            var stopAt = LoopY + Px(d.LengthMetres) / 2.0;
            if (travelled <= stopAt) return travelled;
            var stopEnds = v.EnterAt + stopAt / Speed(v) + v.StopSeconds;
            return t <= stopEnds ? stopAt : stopAt + (t - stopEnds) * Speed(v);
        }

        public Mat Background()
        {
            var m = Mat.Create(height, width, Mat.Type8UC3);
            m.Fill(Road);
            for (var l = 0; l <= laneCount; l++)
            {
                var x = RoadLeft + l * LaneWidth;
                var edge = l == 0 || l == laneCount;
                for (var y = edge ? 0 : 20; y < height; y += edge ? height : 120)
                    Cv.Rectangle(m, new PixelBox(x - 4, y, 8, edge ? height : 60), Marking);
            }
            return m;
        }

        public Mat Frame(Mat background, FontFace font, IReadOnlyList<DrawnVehicle> drawn, double t, ulong seed)
        {
            var frame = background.Clone();
            foreach (var d in drawn)
            {
                var front = FrontAt(d, t);
                if (front <= 0 || front - Px(d.LengthMetres) >= height) continue;
                DrawVehicle(frame, font, d, (int)Math.Round(front));
            }
            Cv.AddNoise(frame, NoiseStdDev, seed);
            return frame;
        }

        public void DrawVehicle(Mat frame, FontFace font, DrawnVehicle d, int front)
        {
            var v = d.Vehicle;
            var (len, wid) = (Px(d.LengthMetres), Px(d.WidthMetres));
            var cx = RoadLeft + (v.Lane - 1) * LaneWidth + LaneWidth / 2;
            var body = new PixelBox(cx - wid / 2, front - len, wid, len);
            var colour = BodyColours[v.Plate.Sum(c => c) % BodyColours.Length]; // string hashes differ per process
            Cv.Rectangle(frame, body, colour);
            // Windscreen a little behind the front; roof line for a bit of structure.
            Cv.Rectangle(frame, new PixelBox(body.X + wid / 8, front - (int)(len * 0.42), wid * 3 / 4, (int)(len * 0.14)), BgrColor.Gray(35));
            Cv.Rectangle(frame, new PixelBox(body.X + wid / 8, front - (int)(len * 0.85), wid * 3 / 4, (int)(len * 0.38)), colour with { B = (byte)(colour.B * 0.8) }, thickness: 2);
            DrawPlate(frame, font, v, cx, front - Px(0.12), wid);
        }

        private static void DrawPlate(Mat frame, FontFace font, SyntheticVehicle v, int cx, int bottom, int vehicleWidth)
        {
            var plateWidth = Math.Min(150, Math.Max(110, vehicleWidth * 8 / 10));
            var plateHeight = plateWidth * 10 / 31;
            var box = new PixelBox(cx - plateWidth / 2, bottom - plateHeight, plateWidth, plateHeight);
            var (ground, ink) = v.PlateColor switch
            {
                PlateColor.Yellow => (new BgrColor(0, 190, 245), BgrColor.Gray(10)),
                PlateColor.Green => (new BgrColor(110, 210, 90), BgrColor.Gray(10)),
                PlateColor.White => (BgrColor.Gray(240), BgrColor.Gray(10)),
                PlateColor.Black => (BgrColor.Gray(15), BgrColor.Gray(240)),
                _ => (new BgrColor(170, 60, 10), BgrColor.Gray(245)),
            };
            Cv.Rectangle(frame, box, ground);
            Cv.Rectangle(frame, new PixelBox(box.X + 2, box.Y + 2, box.Width - 4, box.Height - 4), ink, thickness: 1);
            // Province and issuing letter, a gap where the real plate has its dot, then the serial.
            var head = v.Plate[..2];
            var serial = v.Plate[2..];
            var textHeight = plateHeight * 6 / 10;
            var (headWidth, _) = font.Measure(head, textHeight);
            var (serialWidth, _) = font.Measure(serial, textHeight);
            var gap = plateHeight / 4;
            var total = headWidth + gap + serialWidth;
            if (total > plateWidth - 16)
            {
                textHeight = textHeight * (plateWidth - 16) / total;
                (headWidth, _) = font.Measure(head, textHeight);
                (serialWidth, _) = font.Measure(serial, textHeight);
                total = headWidth + gap + serialWidth;
            }
            var x = box.X + (plateWidth - total) / 2;
            var y = box.Y + (plateHeight - textHeight) / 2;
            font.PutText(frame, head, x, y, textHeight, ink);
            font.PutText(frame, serial, x + headWidth + gap, y, textHeight, ink);
        }

        private static (double Length, double Width) Footprint(VehicleClass c) => c switch
        {
            VehicleClass.Van => (5.8, 2.0),
            VehicleClass.Bus => (12, 2.5),
            VehicleClass.Truck => (10, 2.5),
            VehicleClass.Motorcycle => (2.1, 0.8),
            _ => (4.6, 1.8),
        };
    }
}
