using System.Text;

namespace Tunnel.Core.Plates;

/// <summary>
/// A plate as the cameras read it, and so as the contact directory keys it: "浙c 9h·907", typed from a fleet's list, is
/// 浙C9H907, the plate an alarm carries, not a different one its lookup would never find.
/// </summary>
public static class PlateKey
{
    /// <summary>
    /// Compatibility forms folded (a full-width Ｃ or ９ from a Chinese input method is C or 9), the spaces and the
    /// · • - . that printed lists separate a plate's groups with dropped, letters upper case. Empty when nothing else is left.
    /// </summary>
    public static string Of(string plate)
    {
        ArgumentNullException.ThrowIfNull(plate);
        return new([.. plate.Normalize(NormalizationForm.FormKC).Where(c => !char.IsWhiteSpace(c) && c is not ('·' or '•' or '-' or '.'))
            .Select(char.ToUpperInvariant)]);
    }
}
