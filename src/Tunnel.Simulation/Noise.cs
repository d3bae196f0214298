using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Simulation;

/// <summary>
/// What a portal camera reports for a vehicle: the plate unread at <see cref="SimulationOptions.UnreadRate"/>,
/// otherwise each character confused at <see cref="SimulationOptions.CharConfusionRate"/> with a look-alike;
/// class, colour and hazmat flag misjudged now and then. Each portal draws independently.
/// Confidences are a hint, not an oracle: confused characters score 0.5-0.9, right ones mostly 0.93-0.999,
/// but 3 % of right ones score low too (dirt, glare, motion blur).
/// </summary>
internal sealed class RecognitionNoise(SimulationOptions options, Rng rng)
{
    private static readonly Dictionary<char, string> LookAlikes = new()
    {
        ['0'] = "DQ", ['D'] = "0Q", ['Q'] = "0D", ['8'] = "B3", ['B'] = "8R", ['2'] = "Z", ['Z'] = "2",
        ['5'] = "S", ['S'] = "5", ['1'] = "7T", ['7'] = "1T", ['T'] = "17", ['6'] = "G", ['G'] = "6C", ['C'] = "G",
        ['A'] = "4", ['4'] = "A", ['3'] = "8", ['9'] = "8", ['E'] = "F", ['F'] = "E", ['H'] = "NM", ['N'] = "MH",
        ['M'] = "NH", ['U'] = "V0", ['V'] = "UY", ['Y'] = "V", ['K'] = "X", ['X'] = "K", ['P'] = "R", ['R'] = "PB",
        ['W'] = "MV", ['J'] = "1", ['L'] = "1",
        // Province characters that share a radical: the water radical 氵 (浙 沪 湘 津 渝), 皖/赣, 鲁/晋 (日 below).
        ['浙'] = "湘沪", ['湘'] = "浙", ['沪'] = "浙津", ['津'] = "沪", ['渝'] = "浙", ['皖'] = "赣", ['赣'] = "皖",
        ['鲁'] = "晋", ['晋'] = "鲁",
    };

    public PlateRead? ReadPlate(TruePlate plate)
    {
        if (rng.Chance(options.UnreadRate)) return null;
        var text = new StringBuilder(plate.Text.Length);
        var confidences = new double[plate.Text.Length];
        for (var i = 0; i < plate.Text.Length; i++)
        {
            var c = plate.Text[i];
            if (rng.Chance(options.CharConfusionRate) && LookAlikes.TryGetValue(c, out var alikes))
            {
                text.Append(alikes[rng.Next(alikes.Length)]);
                confidences[i] = Math.Round(rng.U(0.5, 0.9), 3);
            }
            else
            {
                text.Append(c);
                confidences[i] = Math.Round(rng.Chance(0.03) ? rng.U(0.6, 0.93) : rng.U(0.93, 0.999), 3);
            }
        }
        return new PlateRead
        {
            Text = text.ToString(),
            Color = ReadColor(plate.Color),
            Confidence = confidences.Min(),
            CharConfidences = confidences,
        };
    }

    private PlateColor ReadColor(PlateColor color) => !rng.Chance(options.ColorMisreadRate) ? color : color switch
    {
        PlateColor.Blue => PlateColor.Green,    // blue and new-energy green blur together under sodium light
        PlateColor.Green => PlateColor.Blue,
        PlateColor.Yellow => rng.Chance(0.5) ? PlateColor.White : PlateColor.Green,
        _ => PlateColor.Unknown,
    };

    public VehicleRead ReadVehicle(VehicleKind kind)
    {
        var cls = kind.Class;
        double classConfidence;
        if (rng.Chance(options.ClassMisreadRate))
        {
            cls = cls switch
            {
                VehicleClass.Truck => VehicleClass.Bus,
                VehicleClass.Bus => VehicleClass.Truck,
                VehicleClass.Car => VehicleClass.Van,
                VehicleClass.Van => VehicleClass.Car,
                VehicleClass.Motorcycle => VehicleClass.Car,
                _ => VehicleClass.Unknown,
            };
            classConfidence = rng.U(0.45, 0.8);
        }
        else classConfidence = rng.U(0.8, 0.99);

        // Hazmat is read from the orange plate and diamond placards: a few are missed, very few invented.
        bool hazmat;
        double hazmatConfidence;
        if (kind.Hazmat)
        {
            hazmat = rng.Chance(0.95);
            hazmatConfidence = hazmat ? rng.U(0.7, 0.99) : rng.U(0.5, 0.8);
        }
        else
        {
            hazmat = kind.Class == VehicleClass.Truck && rng.Chance(0.005);
            hazmatConfidence = hazmat ? rng.U(0.5, 0.7) : rng.U(0.85, 0.99);
        }
        return new VehicleRead
        {
            Class = cls,
            Confidence = Math.Round(classConfidence, 3),
            Hazmat = hazmat,
            HazmatConfidence = Math.Round(hazmatConfidence, 3),
        };
    }
}
