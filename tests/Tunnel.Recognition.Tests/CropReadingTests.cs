using Tunnel.Core.Contracts;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

/// <summary>The crop path's second looks: a loosely cropped single-row plate, and the contrast stretch for unsure crops.</summary>
public class CropReadingTests(RecognitionRuns runs) : IClassFixture<RecognitionRuns>
{
    [Fact]
    public void A_single_row_plate_cropped_with_room_above_and_below_reads_as_one_line()
    {
        // 104 x 54: the aspect of a truck's double-row plate, but one row of characters; split into rows, its last 0 read as U.
        using var crop = Cv.Read(TestData.File("plate-crops-dev", "hyperlpr_0001.jpg"));
        Assert.True(crop.Width < 2.3 * crop.Height);
        var r = runs.Reader.ReadCrop(crop);
        Assert.NotNull(r);
        Assert.Equal("津B6H920", r.Text);
        Assert.False(r.DoubleRow);
        Assert.Equal(PlateColor.Blue, r.Color);
    }

    [Fact]
    public void Contrast_stretch_spreads_a_dim_crop_over_the_range_and_keeps_its_polarity()
    {
        // Light characters (120) on a dim blue-grey ground (60..80): the range a hazy night crop uses.
        var px = new byte[24 * 94 * 3];
        for (var y = 0; y < 24; y++)
            for (var x = 0; x < 94; x++)
            {
                var ink = x % 12 is >= 4 and < 7 && y is >= 5 and < 19;
                var i = (y * 94 + x) * 3;
                (px[i], px[i + 1], px[i + 2]) = ink ? ((byte)130, (byte)120, (byte)115) : ((byte)80, (byte)65, (byte)60);
            }
        using var dim = Mat.Create(24, 94, Mat.Type8UC3, px);
        using var stretched = ContrastStretch.Apply(dim);
        Assert.NotNull(stretched);
        var s = stretched.Bytes;
        var inkPixel = (10 * 94 + 5) * 3;
        var groundPixel = (10 * 94 + 1) * 3;
        Assert.True(s[inkPixel + 1] > 200, $"ink green {s[inkPixel + 1]}");
        Assert.True(s[groundPixel + 1] < 40, $"ground green {s[groundPixel + 1]}");
        // Same gain on every channel: the ground stays bluer than it is red.
        Assert.True(s[groundPixel] > s[groundPixel + 2]);
    }

    [Fact]
    public void Contrast_stretch_leaves_a_crop_that_already_spans_the_range()
    {
        var px = new byte[24 * 94 * 3];
        for (var i = 0; i < px.Length; i += 3) px[i] = px[i + 1] = px[i + 2] = (byte)(i / 3 % 94 < 47 ? 5 : 250);
        using var full = Mat.Create(24, 94, Mat.Type8UC3, px);
        Assert.Null(ContrastStretch.Apply(full));
    }
}
