using System.Text;

namespace Tunnel.Core.Plates;

/// <summary>
/// A plate as the cameras read it, and so as the contact directory keys it: "浙c 9h·907", typed from a fleet's list, is
/// 浙C9H907, the plate an alarm carries, not a different one its lookup would never find.
/// </summary>
public static class PlateKey
{
    /// <summary>
    /// The plate's letters and numbers, upper case, and nothing else. Compatibility forms are folded (a full-width Ｃ or ９
    /// from a Chinese input method is C or 9, ⿊ is 黑), accents and other combining marks go, and so does everything
    /// between a plate's groups: spaces, the · ・ • - – . / of printed lists, invisible characters pasted along (zero-width
    /// space, byte order mark, soft hyphen). Empty when nothing else is left. A key gives itself again, which the schema 8
    /// upgrade relies on.
    /// </summary>
    public static string Of(string plate)
    {
        ArgumentNullException.ThrowIfNull(plate);
        var kept = new StringBuilder(plate.Length);
        Span<char> utf16 = stackalloc char[2];
        // Decomposed rather than composed first, so an accent goes whether it came typed apart or in one character (À).
        foreach (var r in WithoutNoncharacters(plate).Normalize(NormalizationForm.FormKD).EnumerateRunes())
            if (Rune.IsLetter(r) || Rune.IsNumber(r)) kept.Append(utf16[..Rune.ToUpperInvariant(r).EncodeToUtf16(utf16)]);
        // Composed again at the end: characters that join once nothing stands between them (Hangul jamo) are joined now,
        // not by the next application, which would then give a different key.
        return kept.ToString().Normalize(NormalizationForm.FormKC);
    }

    /// <summary>
    /// The plate without what normalising refuses, a lone surrogate (read as U+FFFD) or U+FFFE, and the other noncharacters:
    /// none is part of a plate, and a key that threw would fail the contact's save, or the whole schema 8 upgrade.
    /// </summary>
    private static string WithoutNoncharacters(string plate)
    {
        foreach (var r in plate.EnumerateRunes())
            if (!IsCharacter(r)) return string.Concat(plate.EnumerateRunes().Where(IsCharacter).Select(x => x.ToString()));
        return plate;
    }

    private static bool IsCharacter(Rune r) => r != Rune.ReplacementChar && r.Value is not (>= 0xFDD0 and <= 0xFDEF) && (r.Value & 0xFFFE) != 0xFFFE;
}
