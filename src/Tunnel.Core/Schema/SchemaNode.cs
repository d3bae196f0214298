using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using System.Text.RegularExpressions;

namespace Tunnel.Core.Schema;

[Flags]
internal enum JsonTypes
{
    None = 0,
    Null = 1,
    Boolean = 2,
    Object = 4,
    Array = 8,
    Number = 16,
    Integer = 32,
    String = 64,
}

internal enum StringFormat { None, DateTime, Uuid }

/// <summary>
/// One compiled (sub)schema. Keywords become plain fields filled in by <see cref="SchemaCompiler"/>;
/// validation switches on the instance's kind once and runs only the checks for that kind.
/// </summary>
internal sealed class SchemaNode
{
    public required string Location { get; init; }

    public bool AlwaysFails;
    public JsonTypes Types;
    public string TypeText = "";
    public SchemaNode? Ref;

    public JsonElement[]? Enum;
    public string[]? EnumStrings; // when every enum member is a string: compared without allocating
    public string EnumText = "";
    public JsonElement? Const;
    public string? ConstString; // a string const is compared without allocating

    public int? MinLength, MaxLength;
    public Regex? Pattern;
    public string PatternText = "";
    public StringFormat Format;

    public double? Minimum, Maximum, ExclusiveMinimum, ExclusiveMaximum;

    public int? MinItems, MaxItems;
    public SchemaNode? Items;

    public Property[]? Properties;
    public Dictionary<string, int>? PropertyIndex;
    public Property[]? Required;
    private int[] requiredIndex = []; // position of each required name in Properties, -1 if not declared there
    public bool AdditionalAllowed = true;
    public SchemaNode? Additional;

    private bool hasStringChecks, hasNumberChecks, hasObjectChecks, hasArrayChecks;

    public sealed record Property(string Name, byte[] Utf8Name, SchemaNode? Node);

    /// <summary>Called once the compiler has set every keyword, so validation need not test each field.</summary>
    public void Seal()
    {
        hasStringChecks = MinLength is not null || MaxLength is not null || Pattern is not null || Format != StringFormat.None;
        hasNumberChecks = Minimum is not null || Maximum is not null || ExclusiveMinimum is not null || ExclusiveMaximum is not null;
        hasObjectChecks = Properties is { Length: > 0 } || Required is { Length: > 0 } || !AdditionalAllowed || Additional is not null;
        hasArrayChecks = MinItems is not null || MaxItems is not null || Items is not null;
        if (Const is { ValueKind: JsonValueKind.String } constant) ConstString = constant.GetString();
        requiredIndex = Required is null ? [] : Required.Select(r => Properties is null ? -1 : Array.FindIndex(Properties, p => p.Name == r.Name)).ToArray();
    }

    public bool Validate(JsonElement value, ValidationContext context)
    {
        if (AlwaysFails)
        {
            context.Fail("no value is allowed here");
            return false;
        }
        var kind = value.ValueKind;
        if (Types != JsonTypes.None && !HasType(value, kind))
        {
            // Nothing else can be said usefully about a value of the wrong type.
            if (context.Collecting) context.Fail($"expected {TypeText}, got {Describe(value)}");
            else context.Fail("");
            return false;
        }

        var valid = true;
        if (Ref is not null)
        {
            valid = Ref.Validate(value, context);
            if (context.Stop) return false;
        }
        if (EnumStrings is not null)
        {
            if (!MatchesStringEnum(value)) { valid = false; FailEnum(value, context); if (context.Stop) return false; }
        }
        else if (Enum is not null)
        {
            if (!MatchesEnum(value)) { valid = false; FailEnum(value, context); if (context.Stop) return false; }
        }
        if (Const is { } constant && !(ConstString is not null ? kind == JsonValueKind.String && value.ValueEquals(ConstString) : JsonElement.DeepEquals(constant, value)))
        {
            valid = false;
            if (context.Collecting) context.Fail($"{Describe(value)} is not {Describe(constant)}");
            else context.Fail("");
            if (context.Stop) return false;
        }

        return kind switch
        {
            JsonValueKind.String when hasStringChecks => ValidateString(value, context) && valid,
            JsonValueKind.Number when hasNumberChecks => ValidateNumber(value, context) && valid,
            JsonValueKind.Object when hasObjectChecks => ValidateObject(value, context) && valid,
            JsonValueKind.Array when hasArrayChecks => ValidateArray(value, context) && valid,
            _ => valid,
        };
    }

    private bool HasType(JsonElement value, JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null => (Types & JsonTypes.Null) != 0,
        JsonValueKind.True or JsonValueKind.False => (Types & JsonTypes.Boolean) != 0,
        JsonValueKind.Object => (Types & JsonTypes.Object) != 0,
        JsonValueKind.Array => (Types & JsonTypes.Array) != 0,
        JsonValueKind.String => (Types & JsonTypes.String) != 0,
        JsonValueKind.Number => (Types & JsonTypes.Number) != 0 || ((Types & JsonTypes.Integer) != 0 && JsonNumbers.IsInteger(value)),
        _ => false,
    };

    private bool MatchesStringEnum(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String) return false;
        foreach (var member in EnumStrings!)
        {
            if (value.ValueEquals(member)) return true;
        }
        return false;
    }

    private bool MatchesEnum(JsonElement value)
    {
        foreach (var member in Enum!)
        {
            if (JsonElement.DeepEquals(member, value)) return true;
        }
        return false;
    }

    private void FailEnum(JsonElement value, ValidationContext context)
    {
        if (context.Collecting) context.Fail($"{Describe(value)} is not one of {EnumText}");
        else context.Fail("");
    }

    private bool ValidateString(JsonElement value, ValidationContext context)
    {
        // Most strings in a passage are short and unescaped: check them from a stack copy, no string built.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var content = raw[1..^1];
        if (content.Length <= 256 && content.IndexOf((byte)'\\') < 0)
        {
            Span<char> buffer = stackalloc char[256];
            if (Utf8.ToUtf16(content, buffer, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                context.Fail("string is not valid UTF-8");
                return false;
            }
            return ValidateString(buffer[..written], context);
        }
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            context.Fail("string is not valid UTF-8");
            return false;
        }
        return ValidateString(text, context);
    }

    private bool ValidateString(ReadOnlySpan<char> text, ValidationContext context)
    {
        var valid = true;
        if (MinLength is not null || MaxLength is not null)
        {
            // JSON Schema counts Unicode code points, not UTF-16 units: 浙 is one, an emoji is one.
            var length = CodePoints(text);
            if (length < MinLength)
            {
                valid = false;
                context.Fail(context.Collecting ? $"string of {length} characters is shorter than {MinLength}" : "");
                if (context.Stop) return false;
            }
            if (length > MaxLength)
            {
                valid = false;
                context.Fail(context.Collecting ? $"string of {length} characters is longer than {MaxLength}" : "");
                if (context.Stop) return false;
            }
        }
        if (Format == StringFormat.DateTime && !Formats.IsDateTime(text))
        {
            valid = false;
            context.Fail(context.Collecting ? $"{Display.Quote(text.ToString())} is not an RFC 3339 date-time" : "");
            if (context.Stop) return false;
        }
        else if (Format == StringFormat.Uuid && !Formats.IsUuid(text))
        {
            valid = false;
            context.Fail(context.Collecting ? $"{Display.Quote(text.ToString())} is not a uuid" : "");
            if (context.Stop) return false;
        }
        if (Pattern is not null)
        {
            bool matches;
            try
            {
                matches = Pattern.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                // Only a pathological pattern can get here; failing the value is the safe answer.
                context.Fail(context.Collecting ? $"matching {PatternText} took too long" : "");
                return false;
            }
            if (!matches)
            {
                valid = false;
                context.Fail(context.Collecting ? $"{Display.Quote(text.ToString())} does not match {PatternText}" : "");
            }
        }
        return valid;
    }

    private static int CodePoints(ReadOnlySpan<char> text)
    {
        var count = text.Length;
        foreach (var c in text)
        {
            if (char.IsLowSurrogate(c)) count--;
        }
        return count;
    }

    private bool ValidateNumber(JsonElement value, ValidationContext context)
    {
        var number = JsonNumbers.ToDouble(value);
        var valid = true;
        if (number < Minimum) valid = FailNumber(value, "less than", Minimum.Value, context);
        if (valid && number > Maximum) valid = FailNumber(value, "greater than", Maximum.Value, context);
        if (valid && number <= ExclusiveMinimum) valid = FailNumber(value, "not greater than", ExclusiveMinimum.Value, context);
        if (valid && number >= ExclusiveMaximum) valid = FailNumber(value, "not less than", ExclusiveMaximum.Value, context);
        return valid;
    }

    private static bool FailNumber(JsonElement value, string relation, double bound, ValidationContext context)
    {
        context.Fail(context.Collecting ? $"{Describe(value)} is {relation} {bound.ToString(CultureInfo.InvariantCulture)}" : "");
        return false;
    }

    private bool ValidateObject(JsonElement value, ValidationContext context)
    {
        var valid = true;
        // Declared properties seen, by position, so required names need no second search.
        ulong seen = 0;
        if (Properties is not null || Additional is not null || !AdditionalAllowed)
        {
            foreach (var property in value.EnumerateObject())
            {
                var index = FindProperty(property);
                SchemaNode? node;
                if (index >= 0)
                {
                    if (index < 64) seen |= 1UL << index;
                    node = Properties![index].Node;
                }
                else if (Additional is not null) node = Additional;
                else if (!AdditionalAllowed)
                {
                    valid = false;
                    context.FailChild(property.Name, "property is not allowed");
                    if (context.Stop) return false;
                    continue;
                }
                else continue;
                context.Push(property);
                var ok = node!.Validate(property.Value, context);
                context.Pop();
                if (!ok)
                {
                    valid = false;
                    if (context.Stop) return false;
                }
            }
        }
        if (Required is not null)
        {
            for (var i = 0; i < Required.Length; i++)
            {
                var at = requiredIndex[i];
                var present = at is >= 0 and < 64 ? (seen & (1UL << at)) != 0 : value.TryGetProperty(Required[i].Utf8Name, out _);
                if (present) continue;
                valid = false;
                context.FailChild(Required[i].Name, "required property is missing");
                if (context.Stop) return false;
            }
        }
        return valid;
    }

    private int FindProperty(JsonProperty property)
    {
        if (Properties is null) return -1;
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (Properties.Length > 16 || raw.IndexOf((byte)'\\') >= 0)
        {
            // Escaped names ("\u0073ite" is "site") and big objects: compare decoded names.
            return PropertyIndex!.TryGetValue(property.Name, out var found) ? found : -1;
        }
        for (var i = 0; i < Properties.Length; i++)
        {
            if (raw.SequenceEqual(Properties[i].Utf8Name)) return i;
        }
        return -1;
    }

    private bool ValidateArray(JsonElement value, ValidationContext context)
    {
        var valid = true;
        var count = value.GetArrayLength();
        if (count < MinItems)
        {
            valid = false;
            context.Fail(context.Collecting ? $"array of {count} items has fewer than {MinItems}" : "");
            if (context.Stop) return false;
        }
        if (count > MaxItems)
        {
            valid = false;
            context.Fail(context.Collecting ? $"array of {count} items has more than {MaxItems}" : "");
            if (context.Stop) return false;
        }
        if (Items is null) return valid;
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            context.Push(index++);
            var ok = Items.Validate(item, context);
            context.Pop();
            if (!ok)
            {
                valid = false;
                if (context.Stop) return false;
            }
        }
        return valid;
    }

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Display.Quote(value.GetString() ?? ""),
        JsonValueKind.Number => Display.Sanitize(value.GetRawText(), 40),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "nothing",
    };
}

internal static class JsonNumbers
{
    /// <summary>
    /// JSON Schema's integer is mathematical: 1.0 and 1e3 are integers. Numbers too large for a double
    /// are integers too (any finite decimal that big has no fraction).
    /// </summary>
    public static bool IsInteger(JsonElement value)
    {
        if (value.TryGetInt64(out _)) return true;
        var raw = value.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0) return true;
        if (!value.TryGetDouble(out var d) || double.IsInfinity(d)) return true;
        if (d == 0) return !HasNonZeroDigit(MantissaOf(raw));
        return Math.Floor(d) == d;
    }

    /// <summary>The value as a double, with numbers beyond its range as ±infinity so bounds still apply.</summary>
    public static double ToDouble(JsonElement value)
    {
        if (value.TryGetDouble(out var d)) return d;
        return value.GetRawText().StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
    }

    private static ReadOnlySpan<char> MantissaOf(string raw)
    {
        var e = raw.AsSpan().IndexOfAny('e', 'E');
        return e < 0 ? raw : raw.AsSpan(0, e);
    }

    private static bool HasNonZeroDigit(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is >= '1' and <= '9') return true;
        }
        return false;
    }
}
