using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Simulation;

/// <summary>A true plate: what is bolted to the vehicle (GA 36-2018 formats).</summary>
public sealed record TruePlate(string Text, PlateColor Color);

/// <summary>
/// Mainland plates as seen on the G15 in Zhejiang: mostly 浙 with the neighbouring provinces, one issuing-office
/// letter, then five characters (six for new-energy cars). Unique within a run.
/// </summary>
internal sealed class PlateFactory(SimulationOptions options, Rng rng)
{
    /// <summary>Plate characters never use I or O (too close to 1 and 0).</summary>
    public const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    public const string Digits = "0123456789";

    private static readonly (string Province, double Weight)[] Provinces =
    [
        ("浙", 58), ("苏", 7), ("沪", 5), ("皖", 6), ("赣", 4), ("闽", 5), ("鲁", 3), ("豫", 3),
        ("粤", 2), ("湘", 2), ("鄂", 2), ("川", 1), ("京", 0.7), ("冀", 0.8), ("渝", 0.5), ("津", 0.4), ("晋", 0.4),
    ];

    // The tunnel sits between Ningbo (B), Taizhou (J) and Shaoxing (D); Hangzhou (A) and Wenzhou (C) feed the G15 too.
    private static readonly (char Letter, double Weight)[] ZhejiangOffices =
    [
        ('A', 14), ('B', 22), ('C', 14), ('D', 10), ('E', 3), ('F', 4), ('G', 6), ('H', 2), ('J', 20), ('K', 3), ('L', 2),
    ];

    private readonly HashSet<string> _issued = [];

    public TruePlate Next(VehicleKind kind)
    {
        for (var attempt = 0; ; attempt++)
        {
            var plate = Draw(kind);
            if (_issued.Add(plate.Text)) return plate;
            if (attempt > 1000) throw new InvalidOperationException("plate space exhausted");
        }
    }

    private TruePlate Draw(VehicleKind kind)
    {
        var province = rng.Weighted(Provinces.Select(p => (p.Province, p.Weight)).ToArray());
        var office = province == "浙"
            ? rng.Weighted(ZhejiangOffices.Select(o => (o.Letter, o.Weight)).ToArray())
            : Alphabet[rng.Next(10)];   // most provinces' busiest offices are early letters
        var sb = new StringBuilder().Append(province).Append(office);

        switch (kind.Class)
        {
            case VehicleClass.Car when rng.Chance(options.NewEnergyCarShare):
                // Small new-energy: D (battery) or F (hybrid), one letter-or-digit, four digits.
                sb.Append(rng.Chance(0.8) ? 'D' : 'F').Append(AlphaNumeric()).Append(DigitsOf(4));
                return new TruePlate(sb.ToString(), PlateColor.Green);
            case VehicleClass.Truck when rng.Chance(options.TrailerShareOfTrucks):
                // The camera reads the rear of an articulated truck: the trailer plate with 挂.
                sb.Append(Serial(4)).Append('挂');
                return new TruePlate(sb.ToString(), PlateColor.Yellow);
            case VehicleClass.Truck or VehicleClass.Bus or VehicleClass.Motorcycle:
                sb.Append(Serial(5));
                return new TruePlate(sb.ToString(), PlateColor.Yellow);
            default:
                sb.Append(Serial(5));
                return new TruePlate(sb.ToString(), PlateColor.Blue);
        }
    }

    // Serials are mostly digits with at most two letters, as the offices issue them.
    private string Serial(int length)
    {
        var chars = new char[length];
        var letters = 0;
        for (var i = 0; i < length; i++)
        {
            if (letters < 2 && rng.Chance(0.22)) { chars[i] = Alphabet[rng.Next(Alphabet.Length)]; letters++; }
            else chars[i] = Digits[rng.Next(10)];
        }
        return new string(chars);
    }

    private char AlphaNumeric() => rng.Chance(0.5) ? Alphabet[rng.Next(Alphabet.Length)] : Digits[rng.Next(10)];

    private string DigitsOf(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => Digits[rng.Next(10)]));
}
