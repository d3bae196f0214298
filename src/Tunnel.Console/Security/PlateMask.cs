using System.Globalization;

namespace Tunnel.WebConsole.Security;

/// <summary>Plates are personal data: roles without the grant see 浙J1***5 instead of 浙J12345.</summary>
public static class PlateMask
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
}
