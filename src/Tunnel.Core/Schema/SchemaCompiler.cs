using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tunnel.Core.Schema;

/// <summary>Turns schema JSON into <see cref="SchemaNode"/>s, refusing anything it would not enforce.</summary>
internal sealed class SchemaCompiler
{
    public const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";

    // Keywords that only describe; they never change what is valid.
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
    };

    private readonly Dictionary<string, SchemaNode> definitions = new(StringComparer.Ordinal);
    private readonly List<(SchemaNode Node, string Reference)> references = [];
    private readonly List<SchemaNode> all = [];
    private SchemaNode rootNode = null!;

    public static (SchemaNode Root, string? Id) Compile(JsonElement schema)
    {
        var compiler = new SchemaCompiler();
        string? id = null;
        if (schema.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("$schema", out var dialect) && !(dialect.ValueKind == JsonValueKind.String && dialect.ValueEquals(Draft202012)))
                throw new JsonSchemaException($"#: $schema must be {Draft202012}");
            if (schema.TryGetProperty("$id", out var idValue))
                id = idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : throw new JsonSchemaException("#: $id must be a string");
            if (schema.TryGetProperty("$defs", out var defs))
            {
                if (defs.ValueKind != JsonValueKind.Object) throw new JsonSchemaException("#/$defs: must be an object");
                // Every definition exists before any is filled, so $refs between them (and cycles) resolve.
                foreach (var def in defs.EnumerateObject())
                    compiler.definitions[def.Name] = compiler.NewNode($"#/$defs/{def.Name}");
                foreach (var def in defs.EnumerateObject())
                    compiler.Fill(compiler.definitions[def.Name], def.Value, isRoot: false);
            }
        }
        compiler.rootNode = compiler.NewNode("#");
        compiler.Fill(compiler.rootNode, schema, isRoot: true);
        foreach (var (node, reference) in compiler.references) node.Ref = compiler.Resolve(node, reference);
        foreach (var node in compiler.all) node.Seal();
        return (compiler.rootNode, id);
    }

    private SchemaNode NewNode(string location)
    {
        var node = new SchemaNode { Location = location };
        all.Add(node);
        return node;
    }

    private SchemaNode Compile(JsonElement schema, string location)
    {
        var node = NewNode(location);
        Fill(node, schema, isRoot: false);
        return node;
    }

    private void Fill(SchemaNode node, JsonElement schema, bool isRoot)
    {
        var at = node.Location;
        switch (schema.ValueKind)
        {
            case JsonValueKind.True: return;
            case JsonValueKind.False: node.AlwaysFails = true; return;
            case JsonValueKind.Object: break;
            default: throw new JsonSchemaException($"{at}: a schema must be an object or a boolean");
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            var value = keyword.Value;
            var where = $"{at}/{keyword.Name}";
            switch (keyword.Name)
            {
                case "$schema" or "$defs" when isRoot:
                    break; // handled in Compile
                case "$schema" or "$defs":
                    throw new JsonSchemaException($"{where}: only allowed at the schema root");
                case "type":
                    (node.Types, node.TypeText) = ParseTypes(value, where);
                    break;
                case "$ref":
                    references.Add((node, value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new JsonSchemaException($"{where}: must be a string")));
                    break;
                case "enum":
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0) throw new JsonSchemaException($"{where}: must be a non-empty array");
                    node.Enum = value.EnumerateArray().Select(e => e.Clone()).ToArray();
                    if (node.Enum.All(e => e.ValueKind == JsonValueKind.String)) node.EnumStrings = node.Enum.Select(e => e.GetString()!).ToArray();
                    node.EnumText = string.Join(", ", node.Enum.Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText()));
                    break;
                case "const":
                    node.Const = value.Clone();
                    break;
                case "pattern":
                    node.PatternText = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new JsonSchemaException($"{where}: must be a string");
                    node.Pattern = EcmaPattern.Compile(node.PatternText, where);
                    break;
                case "format":
                    node.Format = value.ValueKind != JsonValueKind.String ? throw new JsonSchemaException($"{where}: must be a string") : value.GetString() switch
                    {
                        "date-time" => StringFormat.DateTime,
                        "uuid" => StringFormat.Uuid,
                        var other => throw new JsonSchemaException($"{where}: format '{other}' is not supported"),
                    };
                    break;
                case "minLength": node.MinLength = Count(value, where); break;
                case "maxLength": node.MaxLength = Count(value, where); break;
                case "minItems": node.MinItems = Count(value, where); break;
                case "maxItems": node.MaxItems = Count(value, where); break;
                case "minimum": node.Minimum = Number(value, where); break;
                case "maximum": node.Maximum = Number(value, where); break;
                case "exclusiveMinimum": node.ExclusiveMinimum = Number(value, where); break;
                case "exclusiveMaximum": node.ExclusiveMaximum = Number(value, where); break;
                case "items":
                    node.Items = Compile(value, where);
                    break;
                case "required":
                    if (value.ValueKind != JsonValueKind.Array) throw new JsonSchemaException($"{where}: must be an array of strings");
                    var names = value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new JsonSchemaException($"{where}: must be an array of strings")).ToArray();
                    if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw new JsonSchemaException($"{where}: names must be unique");
                    node.Required = names.Select(n => new SchemaNode.Property(n, Encoding.UTF8.GetBytes(n), null)).ToArray();
                    break;
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object) throw new JsonSchemaException($"{where}: must be an object");
                    node.Properties = value.EnumerateObject()
                        .Select(p => new SchemaNode.Property(p.Name, Encoding.UTF8.GetBytes(p.Name), Compile(p.Value, $"{where}/{Escape(p.Name)}")))
                        .ToArray();
                    node.PropertyIndex = node.Properties.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
                    break;
                case "additionalProperties":
                    switch (value.ValueKind)
                    {
                        case JsonValueKind.True: node.AdditionalAllowed = true; break;
                        case JsonValueKind.False: node.AdditionalAllowed = false; break;
                        default: node.Additional = Compile(value, where); break;
                    }
                    break;
                case var name when Annotations.Contains(name):
                    break;
                default:
                    throw new JsonSchemaException($"{where}: keyword '{keyword.Name}' is not supported by this validator");
            }
        }
        if (node.MinLength > node.MaxLength || node.MinItems > node.MaxItems || node.Minimum > node.Maximum)
            throw new JsonSchemaException($"{at}: lower bound above upper bound");
    }

    private SchemaNode Resolve(SchemaNode node, string reference)
    {
        if (reference == "#") return rootNode;
        const string prefix = "#/$defs/";
        if (reference.StartsWith(prefix, StringComparison.Ordinal))
        {
            var name = reference[prefix.Length..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (definitions.TryGetValue(name, out var target))
            {
                if (ReferenceEquals(target, node)) throw new JsonSchemaException($"{node.Location}: $ref refers to itself");
                return target;
            }
        }
        throw new JsonSchemaException($"{node.Location}/$ref: '{reference}' is not supported (only # and #/$defs/<name> of this schema)");
    }

    private static (JsonTypes, string) ParseTypes(JsonElement value, string where)
    {
        IEnumerable<JsonElement> names = value.ValueKind switch
        {
            JsonValueKind.String => [value],
            JsonValueKind.Array when value.GetArrayLength() > 0 => value.EnumerateArray().ToArray(),
            _ => throw new JsonSchemaException($"{where}: must be a type name or a non-empty array of them"),
        };
        var types = JsonTypes.None;
        var text = new List<string>();
        foreach (var name in names)
        {
            var type = name.ValueKind != JsonValueKind.String ? JsonTypes.None : name.GetString() switch
            {
                "null" => JsonTypes.Null,
                "boolean" => JsonTypes.Boolean,
                "object" => JsonTypes.Object,
                "array" => JsonTypes.Array,
                "number" => JsonTypes.Number,
                "integer" => JsonTypes.Integer,
                "string" => JsonTypes.String,
                _ => JsonTypes.None,
            };
            if (type == JsonTypes.None) throw new JsonSchemaException($"{where}: unknown type {name.GetRawText()}");
            if ((types & type) != 0) throw new JsonSchemaException($"{where}: type {name.GetRawText()} appears twice");
            types |= type;
            text.Add(name.GetString()!);
        }
        return (types, string.Join(" or ", text));
    }

    private static int Count(JsonElement value, string where) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= 0
            ? n
            : throw new JsonSchemaException($"{where}: must be a non-negative integer");

    private static double Number(JsonElement value, string where) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d)
            ? d
            : throw new JsonSchemaException($"{where}: must be a finite number");

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}

/// <summary>
/// Runs ECMA-262 patterns (what JSON Schema specifies) on .NET regex. The two dialects disagree in
/// ways that matter for validation: .NET's <c>$</c> also matches before a final newline (so
/// "north\n" would pass <c>^[a-z]+$</c>), <c>\d</c> matches any Unicode digit, and <c>.</c> matches
/// \r. Those are translated; constructs whose meaning differs and that we do not need
/// (\w \s \b and their negations, \p) and .NET-only syntax such as inline options <c>(?i)</c> are
/// refused at load time rather than run with other semantics.
/// </summary>
/// <remarks>
/// Patterns run compiled (4x faster than the non-backtracking engine on short ids, and they run on
/// every message). The shipped patterns have no nested quantifiers, so they are linear anyway;
/// <see cref="MatchTimeout"/> bounds what a pathological pattern in some other schema can cost,
/// and a timed-out match fails the value.
/// </remarks>
public static class EcmaPattern
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    public static string ToDotNet(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 >= pattern.Length) throw new ArgumentException("pattern ends with a backslash");
                var next = pattern[++i];
                switch (next)
                {
                    case 'd': sb.Append(inClass ? "0-9" : "[0-9]"); break;
                    case 'D' when !inClass: sb.Append("[^0-9]"); break;
                    case 'D' or 'w' or 'W' or 's' or 'S' or 'b' or 'B' or 'p' or 'P':
                        throw new ArgumentException($"\\{next} differs between ECMA-262 and .NET and is not supported; spell the characters out");
                    default: sb.Append(c).Append(next); break;
                }
                continue;
            }
            if (inClass)
            {
                if (c == ']') inClass = false;
                sb.Append(c);
                continue;
            }
            switch (c)
            {
                case '[':
                    var negated = i + 1 < pattern.Length && pattern[i + 1] == '^';
                    var first = i + (negated ? 2 : 1);
                    if (first < pattern.Length && pattern[first] == ']')
                        throw new ArgumentException("[] and [^] mean different things in ECMA-262 and .NET");
                    inClass = true;
                    sb.Append(c);
                    break;
                case '(' when i + 2 < pattern.Length && pattern[i + 1] == '?' && pattern[i + 2] is not (':' or '=' or '!' or '<'):
                    throw new ArgumentException($"'(?{pattern[i + 2]}' is .NET syntax, not ECMA-262");
                case '$': sb.Append(@"\z"); break;
                case '.': sb.Append(@"[^\n\r\u2028\u2029]"); break;
                default: sb.Append(c); break;
            }
        }
        if (inClass) throw new ArgumentException("unterminated character class");
        return sb.ToString();
    }

    internal static Regex Compile(string pattern, string where)
    {
        try
        {
            return new Regex(ToDotNet(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new JsonSchemaException($"{where}: pattern '{pattern}' is not supported: {e.Message}", e);
        }
    }
}
