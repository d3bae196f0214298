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
/// With <paramref name="Hazmat"/> it carries GB 13392 markings: an orange panel above the plate, a class 3 placard
/// ahead of the windscreen and a 危险 roof lamp on the cab.
public sealed record SyntheticVehicle(int Lane, double EnterAt, string Plate, PlateColor PlateColor = PlateColor.Blue,
    VehicleClass Class = VehicleClass.Car, double SpeedKmh = 40, double StopSeconds = 0, bool Hazmat = false);

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
            if (!v.Hazmat) return;
            // Drawn larger than to scale, like the plate: an oblique portal camera sees the vehicle's front and roof.
            HazmatPainter.OrangePanel(frame, font, cx, front - Px(0.95), Px(0.6));
            HazmatPainter.Placard(frame, font, cx, front - Px(2.0), Px(0.7), PlacardClass.FlammableLiquid);
            HazmatPainter.RoofLamp(frame, font, cx, front - Px(5.2), Px(0.8));
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

/// <summary>The diamond placards the painter draws: a few classes' colours and numbers.</summary>
public enum PlacardClass { FlammableLiquid, FlammableSolid, Oxidiser, Toxic, Corrosive, NonFlammableGas }

/// <summary>
/// Draws GB 13392 hazard markings: the orange panel (400 x 300 mm, black border and dividing line, hazard number
/// over UN number), diamond placards (a square on its point with an inset border line, a symbol and the class
/// number) and the older amber roof lamp with 危险. Sizes are in pixels; shapes are upright (tests turn the image).
/// </summary>
public static class HazmatPainter
{
    public static readonly BgrColor Orange = new(0, 110, 245);
    private static readonly BgrColor Black = BgrColor.Gray(15);
    private static readonly BgrColor White = BgrColor.Gray(240);

    /// <summary>Panel centred at (cx, cy), <paramref name="width"/> wide and 3/4 as tall; no digits with empty numbers.</summary>
    public static void OrangePanel(Mat image, FontFace font, int cx, int cy, int width, string hazard = "33", string un = "1203")
    {
        var height = width * 3 / 4;
        var box = new PixelBox(cx - width / 2, cy - height / 2, width, height);
        var border = Math.Max(1, (int)Math.Round(width * 15 / 400.0));
        Cv.Rectangle(image, box, Black);
        Cv.Rectangle(image, new PixelBox(box.X + border, box.Y + border, width - 2 * border, height - 2 * border), Orange);
        if (hazard.Length == 0 && un.Length == 0) return;
        Cv.Rectangle(image, new PixelBox(box.X, cy - border / 2, width, border), Black);
        var digitHeight = height / 3; // 100 mm digits on a 300 mm panel
        foreach (var (text, middle) in new[] { (hazard, cy - height / 4), (un, cy + height / 4) })
        {
            var (w, h) = font.Measure(text, digitHeight);
            font.PutText(image, text, cx - w / 2, middle - h / 2, digitHeight, Black);
        }
    }

    /// <summary>Placard centred at (cx, cy), <paramref name="size"/> from corner to opposite corner.</summary>
    public static void Placard(Mat image, FontFace font, int cx, int cy, int size, PlacardClass cls)
    {
        var r = size / 2;
        var (ground, ink) = cls switch
        {
            PlacardClass.FlammableLiquid => (new BgrColor(30, 30, 215), Black),
            PlacardClass.Oxidiser => (new BgrColor(0, 215, 250), Black),
            PlacardClass.NonFlammableGas => (new BgrColor(60, 150, 0), White),
            _ => (White, Black),
        };
        Cv.FillPoly(image, Diamond(cx, cy, r), ground);
        if (cls == PlacardClass.FlammableSolid)
        {
            // Seven vertical red stripes on white.
            var stripe = 2.0 * r / 14;
            for (var i = 0; i < 7; i++) Cv.FillPoly(image, Band(cx, cy, r, cx - r + (2 * i + 0.5) * stripe, cx - r + (2 * i + 1.5) * stripe), new BgrColor(30, 30, 215));
        }
        if (cls == PlacardClass.Corrosive) Cv.FillPoly(image, [(cx - r, cy), (cx + r, cy), (cx, cy + r)], Black);
        // The inset border line, 12.5 mm inside a 250 mm placard's edge (a 354 mm diagonal).
        var inset = Math.Max(2, (int)Math.Round(size * 12.5 / 354));
        var line = Math.Max(1, size / 60);
        Outline(image, cx, cy, r - inset, line, cls == PlacardClass.Corrosive ? Black : ink);
        if (cls == PlacardClass.Corrosive) Outline(image, cx, cy, r - inset, line, White, lowerHalfOnly: true);
        // Symbol: a flame-like spike over a base in the upper half.
        var s = r / 3;
        Cv.FillPoly(image, [(cx, cy - 2 * s), (cx + s * 2 / 3, cy - s / 4), (cx - s * 2 / 3, cy - s / 4)], ink);
        Cv.Rectangle(image, new PixelBox(cx - s, cy - s / 4, 2 * s, Math.Max(1, s / 4)), ink);
        var number = cls switch
        {
            PlacardClass.FlammableLiquid => "3", PlacardClass.FlammableSolid => "4", PlacardClass.Oxidiser => "5.1",
            PlacardClass.Toxic => "6", PlacardClass.Corrosive => "8", _ => "2",
        };
        var nh = Math.Max(6, r / 3);
        var (nw, _) = font.Measure(number, nh);
        font.PutText(image, number, cx - nw / 2, cy + r / 2 - nh / 3, nh, cls == PlacardClass.Corrosive ? White : ink);
    }

    /// <summary>Amber triangle, apex up, base <paramref name="baseWidth"/> wide with its middle at (cx, bottom), 危险 in black.</summary>
    public static void RoofLamp(Mat image, FontFace font, int cx, int bottom, int baseWidth)
    {
        var height = (int)(baseWidth * 0.87);
        Cv.FillPoly(image, [(cx, bottom - height), (cx + baseWidth / 2, bottom), (cx - baseWidth / 2, bottom)], Black);
        var b = Math.Max(2, baseWidth / 30);
        Cv.FillPoly(image, [(cx, bottom - height + 2 * b), (cx + baseWidth / 2 - 2 * b, bottom - b), (cx - baseWidth / 2 + 2 * b, bottom - b)], new BgrColor(0, 200, 255));
        var th = Math.Max(8, baseWidth * 2 / 9);
        var (tw, h) = font.Measure("危险", th);
        font.PutText(image, "危险", cx - tw / 2, bottom - b - h - height / 9, th, Black);
    }

    private static (int X, int Y)[] Diamond(int cx, int cy, int r) => [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)];

    private static void Outline(Mat image, int cx, int cy, int r, int thickness, BgrColor colour, bool lowerHalfOnly = false)
    {
        var d = Diamond(cx, cy, r);
        for (var i = lowerHalfOnly ? 1 : 0; i < (lowerHalfOnly ? 3 : 4); i++) Cv.Line(image, d[i], d[(i + 1) % 4], colour, thickness);
    }

    /// <summary>The part of the diamond between x = x0 and x = x1.</summary>
    private static (int X, int Y)[] Band(int cx, int cy, int r, double x0, double x1)
    {
        double Half(double x) => Math.Max(0, r - Math.Abs(x - cx));
        var pts = new List<(int X, int Y)> { ((int)x0, (int)(cy - Half(x0))) };
        if (x0 < cx && cx < x1) pts.Add((cx, cy - r));
        pts.Add(((int)x1, (int)(cy - Half(x1))));
        pts.Add(((int)x1, (int)(cy + Half(x1))));
        if (x0 < cx && cx < x1) pts.Add((cx, cy + r));
        pts.Add(((int)x0, (int)(cy + Half(x0))));
        return [.. pts];
    }
}
