using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

public class CharacterStrokesTests
{
    [Fact]
    public void A_plate_has_many_strokes_and_a_plain_plate_coloured_panel_none()
    {
        using var plate = Cv.Read(TestData.File("plate-crops-dev", "hyperlpr_0001.jpg"));
        Assert.True(CharacterStrokes.Transitions(plate) >= 14, "seven characters, two edges or more each");

        using var panel = Mat.Create(48, 150, Mat.Type8UC3);
        panel.Fill(new BgrColor(160, 60, 20));
        Assert.Equal(0, CharacterStrokes.Transitions(panel));
    }
}
