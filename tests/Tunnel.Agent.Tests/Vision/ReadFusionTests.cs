using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Tests.Vision;

public class ReadFusionTests
{
    private static PlateResult Read(string text, double[] chars, PlateColor color = PlateColor.Blue, double colorConfidence = 0.9,
        double hazmat = 0) => new()
    {
        Text = text,
        Color = color,
        ColorConfidence = colorConfidence,
        Confidence = chars.Min(),
        CharConfidences = chars,
        Box = [(0, 0), (140, 0), (140, 45), (0, 45)],
        Method = "test",
        Hazmat = hazmat > 0.5,
        HazmatConfidence = hazmat,
    };

    private static double[] Sure(int n, double c = 0.95) => Enumerable.Repeat(c, n).ToArray();

    [Fact]
    public void One_misread_character_is_outvoted_by_two_agreeing_reads()
    {
        var misread = Sure(7);
        misread[4] = 0.6; // 3 read as 8, less sure
        var fused = ReadFusion.Fuse([Read("浙J12345", Sure(7)), Read("浙J12845", misread), Read("浙J12345", Sure(7, 0.9))])!;
        Assert.Equal("浙J12345", fused.Text);
        Assert.Equal(PlateColor.Blue, fused.Color);
        Assert.Equal(7, fused.CharConfidences.Count);
        // The contested position is less certain than the unanimous ones.
        Assert.True(fused.CharConfidences[4] < fused.CharConfidences[3]);
        Assert.Equal(fused.CharConfidences.Min(), fused.Confidence);
    }

    [Fact]
    public void A_plate_no_single_read_got_right_is_rebuilt_position_by_position()
    {
        var a = Sure(7); a[2] = 0.4;
        var b = Sure(7); b[5] = 0.4;
        var c = Sure(7); c[6] = 0.4;
        var fused = ReadFusion.Fuse([Read("浙J72345", a), Read("浙J12385", b), Read("浙J12340", c)])!;
        Assert.Equal("浙J12345", fused.Text);
    }

    [Fact]
    public void A_confident_character_beats_two_unsure_ones()
    {
        var unsure = Sure(7); unsure[6] = 0.3;
        var sure = Sure(7); sure[6] = 0.99;
        var fused = ReadFusion.Fuse([Read("浙J12340", unsure), Read("浙J12340", unsure), Read("浙J12345", sure)])!;
        Assert.Equal("浙J12345", fused.Text);
    }

    [Fact]
    public void A_read_of_the_wrong_length_does_not_vote()
    {
        var fused = ReadFusion.Fuse([Read("沪AD12345", Sure(8), PlateColor.Green), Read("沪A12345", Sure(7, 0.97), PlateColor.Green),
            Read("沪AD12345", Sure(8, 0.9), PlateColor.Green)])!;
        Assert.Equal("沪AD12345", fused.Text);
        Assert.Equal(PlateColor.Green, fused.Color);
    }

    [Fact]
    public void Colour_follows_the_weighted_majority_and_sets_the_plate_class()
    {
        var fused = ReadFusion.Fuse([Read("浙A8B2C7", Sure(7), PlateColor.Yellow, 0.8), Read("浙A8B2C7", Sure(7), PlateColor.Blue, 0.4),
            Read("浙A8B2C7", Sure(7), PlateColor.Yellow, 0.7)])!;
        Assert.Equal(PlateColor.Yellow, fused.Color);
        Assert.Equal(VehicleClass.Truck, fused.VehicleClass);
        Assert.InRange(fused.ColorConfidence, 0.4, 0.8);
    }

    [Fact]
    public void A_hazmat_sign_seen_in_one_frame_is_kept()
    {
        var fused = ReadFusion.Fuse([Read("浙A8B2C7", Sure(7)), Read("浙A8B2C7", Sure(7), hazmat: 0.95), Read("浙A8B2C7", Sure(7))])!;
        Assert.True(fused.Hazmat);
        Assert.Equal(0.95, fused.HazmatConfidence);
        Assert.False(ReadFusion.Fuse([Read("浙A8B2C7", Sure(7)), Read("浙A8B2C7", Sure(7), hazmat: 0.3)])!.Hazmat);
    }

    [Fact]
    public void No_reads_fuse_to_nothing_and_one_read_to_itself()
    {
        Assert.Null(ReadFusion.Fuse([]));
        var only = Read("浙J12345", Sure(7));
        Assert.Same(only, ReadFusion.Fuse([only]));
    }
}
