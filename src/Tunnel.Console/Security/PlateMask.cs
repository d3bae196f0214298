using System.Globalization;
using System.Text.RegularExpressions;

namespace Tunnel.WebConsole.Security;

/// <summary>Plates are personal data: roles without the grant see 浙J1***5 instead of 浙J12345.</summary>
public static partial class PlateMask
{
    public static string? Apply(string? plate, bool visible)
    {
        if (visible || string.IsNullOrEmpty(plate)) return plate;
        // Text elements, so the province character counts as one.
        var chars = new List<string>();
        var e = StringInfo.GetTextElementEnumerator(plate);
        while (e.MoveNext()) chars.Add((string)e.Current);
        if (chars.Count <= 4) return chars[0] + new string('*', chars.Count - 1);
        return string.Concat(chars.Take(3)) + new string('*', chars.Count - 4) + chars[^1];
    }

    /// <summary>Masks everything that looks like a Chinese plate inside free text (a rejected payload, a reason).</summary>
    public static string InText(string text, bool visible) =>
        visible ? text : PlateLike().Replace(text, m => Apply(m.Value, visible: false)!);

    [GeneratedRegex(@"[\u4e00-\u9fff][A-Z][A-Z0-9]{3,7}[\u4e00-\u9fff]?")]
    private static partial Regex PlateLike();
}
