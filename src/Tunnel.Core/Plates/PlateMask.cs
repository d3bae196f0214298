using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tunnel.Core.Plates;

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

    /// <summary>
    /// Masks what may be a plate or a phone number inside free text (an operator's note or shelve reason, a
    /// rejection reason): a plate read with or without its province, WJ or 使 first, in either case (a
    /// rejected read may be lower-case), and any run of seven digits or more, also written in groups as phone numbers
    /// are (138 1234 5678, 0571-8888 7777, +86 138 1234 5678; not a date such as 2026-11-24).
    /// </summary>
    public static string InText(string text, bool visible) =>
        visible ? text : PlateLike().Replace(text, m => m.Groups["grouped"].Success && m.Value.Count(char.IsAsciiDigit) < 7 ? m.Value : Apply(m.Value, visible: false)!);

    /// <summary>
    /// A rejected message's payload for a role without the grant: every string value that is a plate, or that
    /// sits under "plate", masked whole, and plates inside longer strings as <see cref="InText"/> masks them;
    /// numbers, keys and ids are left as they were. Null when the payload is no JSON at all: no structure then
    /// tells a plate from the rest, so it is not shown.
    /// </summary>
    public static string? InPayload(string json, bool visible)
    {
        if (visible) return json;
        try
        {
            var root = JsonNode.Parse(json);
            if (root is JsonValue value) return value.TryGetValue<string>(out var text) ? JsonValue.Create(Masked(text, underPlate: false)).ToJsonString(Readable) : json;
            if (root is not null) MaskWithin(root, underPlate: false);
            return root?.ToJsonString(Readable) ?? json;
        }
        // A repeated key surfaces only once the object is walked, as an ArgumentException: either way, no structure to go by.
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException) { return null; }
    }

    // Chinese text stays readable in the preview; the page shows it as text, never as markup.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Replaces, inside an object or array, every string value with its masked form.</summary>
    private static void MaskWithin(JsonNode node, bool underPlate)
    {
        List<(JsonNode? Child, bool UnderPlate)> children = node switch
        {
            JsonObject o => [.. o.Select(p => (p.Value, underPlate || p.Key.Equals("plate", StringComparison.OrdinalIgnoreCase)))],
            JsonArray a => [.. a.Select(child => (child, underPlate))],
            _ => [],
        };
        foreach (var (child, plate) in children)
            if (child is JsonValue v && v.TryGetValue<string>(out var text)) child.ReplaceWith(Masked(text, plate));
            else if (child is not null) MaskWithin(child, plate);
    }

    /// <summary>A string value: masked whole when under "plate" or a plate itself, otherwise the plates inside it.</summary>
    private static string Masked(string text, bool underPlate) =>
        underPlate || WholePlate().IsMatch(text) ? Apply(text, visible: false)! : InText(text, visible: false);

    // A plate as agents send it (PlateTextRule), province optional and in either case, with a letter first and a
    // digit somewhere (so words and ids pass); a province or 使 before digits only; or a phone number.
    private const string Plate = @"(?:WJ)?[\u4e00-\u9fff]?(?=[A-Za-z0-9]*[0-9])[A-Za-z][A-Za-z0-9]{4,9}[学警港澳挂领使临应急]{0,2}|(?:WJ)?[\u4e00-\u9fff][0-9]{4,10}" +
        // As people write them by hand: 粤B·12345, 粤B 12345, 粤B-12345.
        @"|[\u4e00-\u9fff][A-Za-z][·・ -][A-Za-z0-9]{4,6}[学警港澳挂领使临应急]{0,2}";

    // A phone number in groups of three digits or more after an optional +86; seven digits at least, counted in InText.
    private const string GroupedDigits = @"(?<grouped>(?:\+?86[ -]?)?[0-9]{3,4}(?:[ -][0-9]{3,8}){1,3})";

    [GeneratedRegex(@"(?<![A-Za-z0-9+])(?:" + Plate + "|" + GroupedDigits + @"|[0-9]{7,})(?![A-Za-z0-9])")]
    private static partial Regex PlateLike();

    [GeneratedRegex(@"^\s*(?:" + Plate + @")\s*$")]
    private static partial Regex WholePlate();
}
