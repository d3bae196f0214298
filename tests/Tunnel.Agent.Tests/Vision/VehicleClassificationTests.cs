using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Tests.Vision;

public class VehicleClassificationTests
{
    private static PlateResult Plate(PlateColor color, VehicleClass cls, double confidence) => new()
    {
        Text = "浙A12345", Color = color, Confidence = 0.9, CharConfidences = [0.9], Box = [], Method = "test",
        VehicleClass = cls, VehicleClassConfidence = confidence,
    };

    [Theory]
    [InlineData(4.5, 1.8, false, VehicleClass.Car)]
    [InlineData(5.9, 2.0, false, VehicleClass.Van)]
    [InlineData(2.0, 0.8, false, VehicleClass.Motorcycle)]
    [InlineData(11, 2.5, false, VehicleClass.Truck)]
    [InlineData(7.5, 2.5, true, VehicleClass.Truck)]
    // Never fitted in a short (4 m) view: only the width tells a heavy vehicle from a car.
    [InlineData(4.0, 1.8, true, VehicleClass.Car)]
    [InlineData(4.0, 2.5, true, VehicleClass.Truck)]
    public void Size_alone(double length, double width, bool atLeast, VehicleClass expected) =>
        Assert.Equal(expected, VehicleClassification.FromSize(new VehicleSize(length, width, atLeast)).Class);

    [Fact]
    public void A_blue_plate_on_a_van_sized_footprint_is_a_van()
    {
        var (cls, _) = VehicleClassification.Combine(Plate(PlateColor.Blue, VehicleClass.Car, 0.6), new VehicleSize(6, 2, false));
        Assert.Equal(VehicleClass.Van, cls);
    }

    [Fact]
    public void Agreement_raises_confidence_and_disagreement_lowers_it()
    {
        var yellow = Plate(PlateColor.Yellow, VehicleClass.Truck, 0.5);
        var agree = VehicleClassification.Combine(yellow, new VehicleSize(10, 2.5, true));
        var disagree = VehicleClassification.Combine(yellow, new VehicleSize(4.5, 1.8, false));
        Assert.Equal(VehicleClass.Truck, agree.Class);
        Assert.Equal(VehicleClass.Truck, disagree.Class);
        Assert.True(agree.Confidence > 0.5);
        Assert.True(disagree.Confidence < 0.5);
    }

    [Fact]
    public void Without_a_plate_the_size_decides_and_without_either_it_is_unknown()
    {
        Assert.Equal(VehicleClass.Car, VehicleClassification.Combine(null, new VehicleSize(4.4, 1.8, false)).Class);
        Assert.Equal((VehicleClass.Unknown, 0.0), VehicleClassification.Combine(null, null));
        Assert.Equal(VehicleClass.Bus, VehicleClassification.Combine(Plate(PlateColor.Green, VehicleClass.Bus, 0.5), null).Class);
    }
}
