using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>
    /// Masks what may be a plate or a phone number inside free text (an operator's note or shelve reason, a
    /// rejection reason): a plate read with or without its province, WJ or 使 first, in either case (a
    /// rejected read may be lower-case), and any run of seven digits or more.
    /// </summary>
    public static string InText(string text, bool visible) =>
        visible ? text : PlateLike().Replace(text, m => Apply(m.Value, visible: false)!);

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
            if (root is null) return json;
            if (root is JsonValue) return Masked(root, underPlate: false)?.ToJsonString(Readable) ?? json;
            MaskWithin(root, underPlate: false);
            return root.ToJsonString(Readable);
        }
        // A repeated key surfaces only once the object is walked, as an ArgumentException: either way, no structure to go by.
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException) { return null; }
    }

    // Chinese text stays readable in the preview; the page shows it as text, never as markup.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Replaces, inside an object or array, every string value with its masked form.</summary>
    private static void MaskWithin(JsonNode node, bool underPlate)
    {
        if (node is JsonObject o)
            foreach (var key in o.Select(p => p.Key).ToList())
            {
                var plate = underPlate || key.Equals("plate", StringComparison.OrdinalIgnoreCase);
                if (o[key] is JsonValue) o[key] = Masked(o[key]!, plate);
                else if (o[key] is { } child) MaskWithin(child, plate);
            }
        else if (node is JsonArray a)
            for (var i = 0; i < a.Count; i++)
            {
                if (a[i] is JsonValue) a[i] = Masked(a[i]!, underPlate);
                else if (a[i] is { } child) MaskWithin(child, underPlate);
            }
    }

    /// <summary>A string value masked (whole, under "plate" or when it is a plate; else the plates inside it); any other value as it was.</summary>
    private static JsonNode? Masked(JsonNode value, bool underPlate) =>
        value is JsonValue v && v.TryGetValue<string>(out var s)
            ? JsonValue.Create(underPlate || WholePlate().IsMatch(s) ? Apply(s, visible: false) : InText(s, visible: false))
            : value.DeepClone();

    // A plate as agents send it (PlateTextRule), province optional and in either case, with a letter first and a
    // digit somewhere (so words and ids pass); a province or 使 before digits only; or a phone number.
    private const string Plate = @"(?:WJ)?[\u4e00-\u9fff]?(?=[A-Za-z0-9]*[0-9])[A-Za-z][A-Za-z0-9]{4,9}[学警港澳挂领使临应急]{0,2}|(?:WJ)?[\u4e00-\u9fff][0-9]{4,10}" +
        // As people write them by hand: 粤B·12345, 粤B 12345, 粤B-12345.
        @"|[\u4e00-\u9fff][A-Za-z][·・ -][A-Za-z0-9]{4,6}[学警港澳挂领使临应急]{0,2}";

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:" + Plate + @"|[0-9]{7,})(?![A-Za-z0-9])")]
    private static partial Regex PlateLike();

    [GeneratedRegex(@"^\s*(?:" + Plate + @")\s*$")]
    private static partial Regex WholePlate();
}
