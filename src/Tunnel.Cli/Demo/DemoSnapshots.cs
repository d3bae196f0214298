using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;

namespace Tunnel.Cli.Demo;

/// <summary>
/// Pictures for the demo's simulated passages, so the console shows a snapshot beside each one as it
/// would with real cameras: the vehicle from above, its plate as the camera read it (drawn with the
/// CJK font), and the camera's own caption.
/// </summary>
public sealed class DemoSnapshots : IDisposable
{
    private const int Width = 320, Height = 180;
    private readonly FontFace _font = FontFace.Load(FontFace.NotoSansCjk);
    private readonly Lock _gate = new();

    public byte[] Render(Passage p)
    {
        lock (_gate)
        {
            using var image = Mat.Create(Height, Width, Mat.Type8UC3);
            image.Fill(BgrColor.Gray(70));
            Cv.Line(image, (Width / 2, 0), (Width / 2, Height), BgrColor.Gray(200), 2);
            var (w, h) = p.Vehicle.Class switch
            {
                VehicleClass.Truck or VehicleClass.Bus => (150, 150),
                VehicleClass.Van => (120, 120),
                VehicleClass.Motorcycle => (50, 90),
                _ => (110, 100),
            };
            var x = p.Lane % 2 == 1 ? Width / 4 - w / 2 : 3 * Width / 4 - w / 2;
            var body = Body(p.Vehicle.Class);
            Cv.Rectangle(image, new PixelBox(Math.Max(0, x), 10, w, Math.Min(h, Height - 40)), body);
            var (plate, ink) = PlateColours(p.Plate?.Color);
            var plateBox = new PixelBox(Math.Max(0, x + w / 2 - 50), Math.Min(h, Height - 40) - 10, 100, 26);
            Cv.Rectangle(image, plateBox, plate);
            if (p.Plate is { Text.Length: > 0 } read) _font.PutText(image, read.Text, plateBox.X + 4, plateBox.Y + 3, 18, ink);
            if (p.Vehicle.Hazmat) _font.PutText(image, "危险", Math.Max(0, x) + 4, 14, 18, new BgrColor(0, 140, 255));
            _font.PutText(image, $"{p.CameraId}  {p.CapturedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z", 6, Height - 22, 14, BgrColor.Gray(240));
            return Cv.Encode(image, ".jpg", 80);
        }
    }

    private static BgrColor Body(VehicleClass c) => c switch
    {
        VehicleClass.Truck => new BgrColor(40, 90, 170),
        VehicleClass.Bus => new BgrColor(60, 160, 60),
        VehicleClass.Van => new BgrColor(200, 200, 200),
        _ => new BgrColor(150, 60, 40),
    };

    private static (BgrColor Plate, BgrColor Ink) PlateColours(PlateColor? colour) => colour switch
    {
        PlateColor.Yellow => (new BgrColor(0, 200, 240), BgrColor.Gray(10)),
        PlateColor.Green => (new BgrColor(120, 220, 120), BgrColor.Gray(10)),
        PlateColor.White => (BgrColor.Gray(245), BgrColor.Gray(10)),
        PlateColor.Black => (BgrColor.Gray(15), BgrColor.Gray(245)),
        _ => (new BgrColor(170, 60, 0), BgrColor.Gray(250)),
    };

    public void Dispose() => _font.Dispose();
}
