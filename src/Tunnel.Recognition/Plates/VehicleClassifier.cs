using Tunnel.Core.Contracts;

namespace Tunnel.Recognition.Plates;

/// <summary>
/// Vehicle class as far as the plate tells it (GA 36): blue plates are small vehicles, yellow ones large
/// vehicles, motorcycles (double-row, nearly square) and coaches (学); green small new-energy plates have
/// D/F third, large ones D/F last. The edge agent refines this with the motion blob's size.
/// </summary>
public static class VehicleClassifier
{
    public static (VehicleClass Class, double Confidence) FromPlate(string text, PlateColor color, bool doubleRow, double aspect)
    {
        if (PlateGrammar.Suffix(text) == "学") return (VehicleClass.Car, 0.7);
        if (PlateGrammar.Suffix(text) == "挂") return (VehicleClass.Truck, 0.9);
        return color switch
        {
            PlateColor.Blue => (VehicleClass.Car, 0.6), // blue also covers small vans and minibuses
            PlateColor.Yellow when doubleRow && aspect < 1.8 => (VehicleClass.Motorcycle, 0.7),
            PlateColor.Yellow => (VehicleClass.Truck, 0.5), // or a bus: the plate alone cannot tell
            PlateColor.Green when text.Length == 8 && text[7] is 'D' or 'F' => (VehicleClass.Bus, 0.5),
            PlateColor.Green => (VehicleClass.Car, 0.7),
            PlateColor.Black or PlateColor.White => (VehicleClass.Car, 0.4),
            _ => (VehicleClass.Unknown, 0),
        };
    }
}
