using System.Globalization;

namespace Tunnel.Core.Validation;

/// <summary>
/// Whether a plate text is a plausible Chinese (mainland) plate as an edge agent reads it.
/// </summary>
/// <remarks>
/// Loose on purpose, so partial and special reads pass and matching (which is confusion-aware) can use them:
/// <code>
/// plate  := "WJ"? lead? body suffix{0,2}        2..12 characters in all
/// lead   := one province abbreviation (京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼) | 使
/// body   := [A-Z0-9]{1,10}                       upper-case ASCII only
/// suffix := 学 警 港 澳 挂 领 使 临 应 急           (应急 is the emergency-vehicle suffix)
/// </code>
/// The lead is optional because an agent may read everything but a dirty province character.
/// Foreign plates, lower-case or full-width letters, other Han characters, spaces, control characters and
/// markup (&lt; &gt; &amp; quotes) are refused: the text is shown to operators, spoken aloud and used as a
/// lookup key, so the agent must send a clean read or <c>plate: null</c>.
/// </remarks>
public static class PlateTextRule
{
    public const string Provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
    public const string Suffixes = "学警港澳挂领使临应急";

    public static bool IsPlausible(string text) => Check(text) is null;

    /// <summary>
    /// The characters (text elements) of <paramref name="text"/>, as <see cref="StringInfo.LengthInTextElements"/>
    /// counts them: one per char when every char is one a plate may hold (none of them combines with a
    /// neighbour), which spares the grapheme segmentation on every passage.
    /// </summary>
    public static int CountCharacters(string text)
    {
        foreach (var c in text)
            if (!IsPlateChar(c)) return new StringInfo(text).LengthInTextElements;
        return text.Length;
    }

    private static bool IsPlateChar(char c) =>
        char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || Provinces.Contains(c) || Suffixes.Contains(c);

    /// <summary><c>null</c> when plausible, otherwise why not.</summary>
    public static string? Check(string text)
    {
        var length = CountCharacters(text);
        if (length is < 2 or > 12) return $"has {length} characters, expected 2 to 12";
        var i = 0;
        if (text.StartsWith("WJ", StringComparison.Ordinal)) i = 2;
        if (i < text.Length && (Provinces.Contains(text[i]) || text[i] == '使')) i++;
        var bodyStart = i;
        while (i < text.Length && i - bodyStart < 10 && (char.IsAsciiLetterUpper(text[i]) || char.IsAsciiDigit(text[i]))) i++;
        if (i == bodyStart) return i < text.Length ? $"unexpected {Describe(text[i], i)}" : "has no letters or digits";
        var suffixStart = i;
        while (i < text.Length && i - suffixStart < 2 && Suffixes.Contains(text[i])) i++;
        return i < text.Length ? $"unexpected {Describe(text[i], i)}" : null;
    }

    private static string Describe(char c, int index) =>
        char.IsControl(c) || char.IsSurrogate(c) || char.IsWhiteSpace(c)
            ? $"U+{(int)c:X4} at {index}"
            : $"'{c}' at {index}";
}
