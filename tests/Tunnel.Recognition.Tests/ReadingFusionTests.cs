using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

public class ReadingFusionTests
{
    [Fact]
    public void Takes_each_serial_character_from_the_surer_reading()
    {
        var (text, conf) = ReadingFusion.FuseSerial(
            "苏A85295", [0.01, 0.81, 0.99, 0.99, 0.38, 0.61, 0.99],
            "苏A85Z95", [0.02, 0.80, 0.99, 0.99, 0.90, 0.60, 0.98]);
        Assert.Equal("苏A85Z95", text);
        Assert.Equal([0.01, 0.81, 0.99, 0.99, 0.90, 0.61, 0.99], conf);
    }

    [Fact]
    public void Keeps_the_first_readings_province_and_authority_letter()
    {
        var (text, _) = ReadingFusion.FuseSerial("浙A88888", [0.38, 0.9, 1, 1, 1, 1, 1], "新B88888", [0.8, 0.95, 1, 1, 1, 1, 1]);
        Assert.Equal("浙A88888", text);
    }

    [Fact]
    public void Keeps_the_first_reading_when_lengths_differ_or_the_fusion_is_no_plate()
    {
        Assert.Equal("川A01982", ReadingFusion.FuseSerial("川A01982", [0.1, 1, 1, 1, 1, 0.4, 1], "川AD01982", [1, 1, 1, 1, 1, 1, 1, 1]).Text);
        // A large new-energy serial's digit into a small one's letter slot: 粤A112345 is no plate.
        Assert.Equal("粤AD12345", ReadingFusion.FuseSerial("粤AD12345", [1, 1, 0.3, 1, 1, 1, 1, 1], "粤A12345D", [1, 1, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5]).Text);
    }
}
