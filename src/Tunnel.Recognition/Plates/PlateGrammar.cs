namespace Tunnel.Recognition.Plates;

/// <summary>
/// The shape of Chinese civil plates (GA 36-2018) as the decoder uses it:
/// province character, issuing-authority letter, then either five serial characters, six (new energy),
/// or four plus one suffix (学 警 港 澳 挂 领). Serial characters are digits and letters without I and O.
/// </summary>
public static class PlateGrammar
{
    public const string Provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
    public const string Suffixes = "学警港澳挂领";
    public const string Digits = "0123456789";
    /// <summary>Second position: any letter but I. O stays: 粤O is the police series.</summary>
    public const string AuthorityLetters = "ABCDEFGHJKLMNOPQRSTUVWXYZ";
    public const string SerialLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    public static readonly string Serial = SerialLetters + Digits;
    /// <summary>First serial character of a small new-energy plate: D (electric), F (hybrid), and since 2022 also A-K.</summary>
    public const string NewEnergyFirstLetters = "ABCDEFGHJK";

    /// <summary>True when <paramref name="plate"/> has one of the shapes above.</summary>
    public static bool IsValid(string plate)
    {
        if (plate.Length is < 7 or > 8) return false;
        if (!Provinces.Contains(plate[0]) || !AuthorityLetters.Contains(plate[1])) return false;
        var last = plate[^1];
        if (plate.Length == 7 && Suffixes.Contains(last)) return plate[2..6].All(Serial.Contains);
        if (!plate[2..].All(Serial.Contains)) return false;
        return plate.Length == 7 || IsNewEnergySerial(plate[2..]);
    }

    /// <summary>New-energy serials: D/F (or A-K for small cars' second letter) first then digits, or five digits then D/F for large vehicles.</summary>
    private static bool IsNewEnergySerial(string six) =>
        (NewEnergyFirstLetters.Contains(six[0]) && six[2..].All(char.IsAsciiDigit))
        || (six[..5].All(char.IsAsciiDigit) && six[5] is 'D' or 'F');

    public static bool IsNewEnergy(string plate) => plate.Length == 8 && IsValid(plate);

    public static string? Suffix(string plate) => plate.Length == 7 && Suffixes.Contains(plate[^1]) ? plate[^1..] : null;
}
