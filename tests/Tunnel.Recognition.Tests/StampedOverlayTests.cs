using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

public class StampedOverlayTests
{
    private static readonly BgrColor Yellow = new(30, 190, 230);
    private static readonly BgrColor Blue = new(160, 60, 20);
    private static readonly BgrColor White = new(250, 250, 250);
    private static readonly BgrColor Black = new(10, 10, 10);

    /// <summary>A plate-coloured panel with a black bar (a character) and a white bar (a stamped digit or, on blue, a character).</summary>
    private static Mat Panel(BgrColor background)
    {
        var panel = Mat.Create(96, 200, Mat.Type8UC3);
        panel.Fill(background);
        Cv.Rectangle(panel, new PixelBox(40, 20, 12, 60), Black);
        Cv.Rectangle(panel, new PixelBox(150, 50, 12, 40), White);
        return panel;
    }

    [Fact]
    public void White_on_a_yellow_plate_takes_the_plate_colour_and_its_black_ink_stays()
    {
        using var plate = Panel(Yellow);
        using var erased = StampedOverlay.EraseOnYellowPlate(plate);
        Assert.NotNull(erased);
        var f = PlateColorClassifier.Fractions(erased);
        Assert.Equal(0, f.White);
        Assert.Equal(PlateColorClassifier.Fractions(plate).Black, f.Black);
    }

    [Fact]
    public void A_blue_plate_keeps_its_white_characters()
    {
        using var plate = Panel(Blue);
        using var erased = StampedOverlay.EraseOnYellowPlate(plate);
        Assert.Null(erased);
        var kept = erased ?? plate;
        Assert.Equal(PlateColorClassifier.Fractions(plate), PlateColorClassifier.Fractions(kept));
        Assert.True(PlateColorClassifier.Fractions(kept).White > 0);
    }
}
