using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tunnel.Core.Schema;

/// <summary>
/// Where validation is in the instance, and where failures go. The path is kept as a stack of
/// segments and only turned into a JSON pointer when a failure is reported, so valid messages
/// (the common case, thousands per second) never pay for path strings.
/// </summary>
internal sealed class ValidationContext(List<SchemaError>? errors, int maxErrors)
{
    // Only allocated when messages are wanted: the yes/no path keeps no path at all.
    private string?[] names = errors is null ? [] : new string?[16];
    private int[] indexes = errors is null ? [] : new int[16];
    private int depth;
    private int failures;

    /// <summary>Further checks are pointless: the caller wants only a yes/no, or has enough messages.</summary>
    public bool Stop => failures >= maxErrors;

    /// <summary>Whether messages are wanted at all; callers skip building them otherwise.</summary>
    public bool Collecting => errors is not null;

    public void Push(JsonProperty property)
    {
        if (errors is null) return;
        Grow();
        names[depth] = property.Name;
        depth++;
    }

    public void Push(int index)
    {
        if (errors is null) return;
        Grow();
        names[depth] = null;
        indexes[depth] = index;
        depth++;
    }

    public void Pop()
    {
        if (errors is not null) depth--;
    }

    public void Fail(string message)
    {
        failures++;
        if (errors is not null && errors.Count < maxErrors) errors.Add(new SchemaError(Pointer(null), message));
    }

    /// <summary>A failure about a child that is not there (a missing required property).</summary>
    public void FailChild(string child, string message)
    {
        failures++;
        if (errors is not null && errors.Count < maxErrors) errors.Add(new SchemaError(Pointer(child), message));
    }

    private void Grow()
    {
        if (depth < names.Length) return;
        Array.Resize(ref names, names.Length * 2);
        Array.Resize(ref indexes, indexes.Length * 2);
    }

    private string Pointer(string? child)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            sb.Append('/');
            if (names[i] is { } name) AppendEscaped(sb, name);
            else sb.Append(indexes[i].ToString(CultureInfo.InvariantCulture));
        }
        if (child is not null)
        {
            sb.Append('/');
            AppendEscaped(sb, child);
        }
        return sb.ToString();
    }

    private static void AppendEscaped(StringBuilder sb, string name) =>
        // Names can come from the (untrusted) instance: escape per RFC 6901 and keep them log-safe.
        sb.Append(Display.Sanitize(name, 64).Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
}

/// <summary>Instance values shown in messages: short and without control characters, as they end up in logs.</summary>
internal static class Display
{
    public static string Sanitize(string value, int maxChars)
    {
        var clipped = value.Length > maxChars;
        var span = clipped ? value.AsSpan(0, maxChars) : value.AsSpan();
        var clean = true;
        foreach (var c in span)
        {
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029') { clean = false; break; }
        }
        if (clean && !clipped) return value;
        var sb = new StringBuilder(span.Length + 8);
        foreach (var c in span)
        {
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        if (clipped) sb.Append('…');
        return sb.ToString();
    }

    public static string Quote(string value) => "'" + Sanitize(value, 40) + "'";
}
