using System.Text.Json;

namespace Tunnel.Core.Schema;

/// <summary>
/// A JSON Schema (draft 2020-12) compiled once into a tree of checks, for the subset of keywords
/// the Tunnel schemas use: type (incl. arrays and null), required, properties, additionalProperties,
/// enum, const, pattern, minLength/maxLength, minimum/maximum/exclusiveMinimum/exclusiveMaximum,
/// minItems/maxItems, items, format (date-time, uuid) and $ref to #/$defs/... or #.
/// </summary>
/// <remarks>
/// Any other keyword makes <see cref="Parse(string)"/> throw: a schema keyword we silently ignored
/// would be a check the published schema promises and the service does not make.
/// <c>format</c> is asserted (not just an annotation) and unknown formats are rejected for the same reason.
/// Patterns are ECMA-262 as the spec says; see <see cref="EcmaPattern"/> for how they run on .NET.
/// </remarks>
public sealed class JsonSchema
{
    private readonly SchemaNode root;

    private JsonSchema(SchemaNode root, string? id)
    {
        this.root = root;
        Id = id;
    }

    /// <summary>The schema's <c>$id</c>, if it has one.</summary>
    public string? Id { get; }

    /// <exception cref="JsonSchemaException">The text is not JSON, or uses an unsupported keyword or form.</exception>
    public static JsonSchema Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new JsonSchemaException($"schema is not valid JSON: {e.Message}", e);
        }
        using (document) return Parse(document.RootElement);
    }

    /// <exception cref="JsonSchemaException">Unsupported keyword or malformed keyword value.</exception>
    public static JsonSchema Parse(JsonElement schema)
    {
        var (node, id) = SchemaCompiler.Compile(schema);
        return new JsonSchema(node, id);
    }

    /// <summary>True when <paramref name="instance"/> is valid; stops at the first failure and builds no messages.</summary>
    public bool IsValid(JsonElement instance) => root.Validate(instance, new ValidationContext(null, 1));

    /// <summary>All failures, up to <paramref name="maxErrors"/>; empty when valid.</summary>
    public IReadOnlyList<SchemaError> Validate(JsonElement instance, int maxErrors = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxErrors, 1);
        var errors = new List<SchemaError>();
        var context = new ValidationContext(errors, maxErrors);
        root.Validate(instance, context);
        return errors;
    }
}

/// <summary>One failure: where (a JSON pointer, <c>""</c> for the whole document) and what.</summary>
public readonly record struct SchemaError(string Path, string Message)
{
    public override string ToString() => $"{(Path.Length == 0 ? "(root)" : Path)}: {Message}";
}

/// <summary>The schema itself is unusable: invalid JSON, an unsupported keyword, a bad keyword value.</summary>
public sealed class JsonSchemaException : Exception
{
    public JsonSchemaException(string message) : base(message) { }
    public JsonSchemaException(string message, Exception inner) : base(message, inner) { }
}
