using System.Text.Json;
using Tunnel.Core.Schema;

namespace Tunnel.Core.Tests.Schema;

public class JsonSchemaKeywordTests
{
    private static IReadOnlyList<SchemaError> Errors(string schema, string instance)
    {
        var compiled = JsonSchema.Parse(schema);
        using var document = JsonDocument.Parse(instance);
        var errors = compiled.Validate(document.RootElement);
        // The fast path must agree with the reporting one.
        Assert.Equal(errors.Count == 0, compiled.IsValid(document.RootElement));
        return errors;
    }

    [Theory]
    // type
    [InlineData("""{"type":"string"}""", "\"x\"", true)]
    [InlineData("""{"type":"string"}""", "1", false)]
    [InlineData("""{"type":"integer"}""", "3", true)]
    [InlineData("""{"type":"integer"}""", "3.0", true)]
    [InlineData("""{"type":"integer"}""", "1e3", true)]
    [InlineData("""{"type":"integer"}""", "123456789012345678901234567890", true)]
    [InlineData("""{"type":"integer"}""", "3.5", false)]
    [InlineData("""{"type":"integer"}""", "1e-400", false)]
    [InlineData("""{"type":"number"}""", "3.5", true)]
    [InlineData("""{"type":"number"}""", "\"3.5\"", false)]
    [InlineData("""{"type":"boolean"}""", "false", true)]
    [InlineData("""{"type":"boolean"}""", "0", false)]
    [InlineData("""{"type":"null"}""", "null", true)]
    [InlineData("""{"type":"null"}""", "false", false)]
    [InlineData("""{"type":"object"}""", "{}", true)]
    [InlineData("""{"type":"object"}""", "[]", false)]
    [InlineData("""{"type":"array"}""", "[]", true)]
    [InlineData("""{"type":"array"}""", "{}", false)]
    [InlineData("""{"type":["string","null"]}""", "null", true)]
    [InlineData("""{"type":["string","null"]}""", "\"x\"", true)]
    [InlineData("""{"type":["string","null"]}""", "1", false)]
    // required, properties, additionalProperties
    [InlineData("""{"required":["a"]}""", """{"a":null}""", true)]
    [InlineData("""{"required":["a"]}""", """{"b":1}""", false)]
    [InlineData("""{"required":["a"]}""", "[1]", true)]
    [InlineData("""{"properties":{"a":{"type":"string"}}}""", """{"a":"x","b":1}""", true)]
    [InlineData("""{"properties":{"a":{"type":"string"}}}""", """{"a":1}""", false)]
    [InlineData("""{"properties":{"a":{"type":"string"}}}""", """{"A":1}""", true)]
    [InlineData("""{"properties":{"a":{}},"additionalProperties":false}""", """{"a":1}""", true)]
    [InlineData("""{"properties":{"a":{}},"additionalProperties":false}""", """{"a":1,"b":2}""", false)]
    [InlineData("""{"properties":{"a":{}},"additionalProperties":true}""", """{"a":1,"b":2}""", true)]
    [InlineData("""{"properties":{"a":{}},"additionalProperties":{"type":"number"}}""", """{"a":"x","b":2}""", true)]
    [InlineData("""{"properties":{"a":{}},"additionalProperties":{"type":"number"}}""", """{"a":"x","b":"y"}""", false)]
    // enum, const
    [InlineData("""{"enum":["a","b"]}""", "\"b\"", true)]
    [InlineData("""{"enum":["a","b"]}""", "\"B\"", false)]
    [InlineData("""{"enum":["a",1,null]}""", "1", true)]
    [InlineData("""{"enum":["a",1,null]}""", "null", true)]
    [InlineData("""{"enum":["a",1,null]}""", "2", false)]
    [InlineData("""{"const":"v1"}""", "\"v1\"", true)]
    [InlineData("""{"const":"v1"}""", "\"v2\"", false)]
    [InlineData("""{"const":{"a":[1,2]}}""", """{"a":[1,2]}""", true)]
    [InlineData("""{"const":{"a":[1,2]}}""", """{"a":[2,1]}""", false)]
    // pattern (ECMA-262 semantics)
    [InlineData("""{"pattern":"^[a-z0-9_-]{1,64}$"}""", "\"maoliling\"", true)]
    [InlineData("""{"pattern":"^[a-z0-9_-]{1,64}$"}""", "\"Maoliling\"", false)]
    [InlineData("""{"pattern":"^[a-z0-9_-]{1,64}$"}""", "\"north\\n\"", false)]
    [InlineData("""{"pattern":"^\\d+$"}""", "\"123\"", true)]
    [InlineData("""{"pattern":"^\\d+$"}""", "\"١٢٣\"", false)]
    [InlineData("""{"pattern":"^a.c$"}""", "\"abc\"", true)]
    [InlineData("""{"pattern":"^a.c$"}""", "\"a\\rc\"", false)]
    [InlineData("""{"pattern":"b"}""", "\"abc\"", true)]
    [InlineData("""{"pattern":"b"}""", "1", true)]
    // minLength, maxLength (code points)
    [InlineData("""{"minLength":2,"maxLength":3}""", "\"浙J\"", true)]
    [InlineData("""{"minLength":2,"maxLength":3}""", "\"😀😀😀\"", true)]
    [InlineData("""{"minLength":2,"maxLength":3}""", "\"浙\"", false)]
    [InlineData("""{"minLength":2,"maxLength":3}""", "\"abcd\"", false)]
    // minimum, maximum, exclusive*
    [InlineData("""{"minimum":0,"maximum":1}""", "0", true)]
    [InlineData("""{"minimum":0,"maximum":1}""", "1", true)]
    [InlineData("""{"minimum":0,"maximum":1}""", "-0.001", false)]
    [InlineData("""{"minimum":0,"maximum":1}""", "1.001", false)]
    [InlineData("""{"minimum":0,"maximum":1}""", "1e400", false)]
    [InlineData("""{"minimum":0,"maximum":1}""", "-1e400", false)]
    [InlineData("""{"exclusiveMinimum":0,"exclusiveMaximum":1}""", "0.5", true)]
    [InlineData("""{"exclusiveMinimum":0,"exclusiveMaximum":1}""", "0", false)]
    [InlineData("""{"exclusiveMinimum":0,"exclusiveMaximum":1}""", "1", false)]
    // minItems, maxItems, items
    [InlineData("""{"minItems":1,"maxItems":2}""", "[1]", true)]
    [InlineData("""{"minItems":1,"maxItems":2}""", "[]", false)]
    [InlineData("""{"minItems":1,"maxItems":2}""", "[1,2,3]", false)]
    [InlineData("""{"items":{"type":"number"}}""", "[1,2.5]", true)]
    [InlineData("""{"items":{"type":"number"}}""", "[1,\"2\"]", false)]
    [InlineData("""{"items":false}""", "[]", true)]
    [InlineData("""{"items":false}""", "[1]", false)]
    // format
    [InlineData("""{"format":"date-time"}""", "\"2026-11-02T08:15:42.123Z\"", true)]
    [InlineData("""{"format":"date-time"}""", "\"2026-11-02T16:15:42+08:00\"", true)]
    [InlineData("""{"format":"date-time"}""", "\"2024-02-29T00:00:00Z\"", true)]
    [InlineData("""{"format":"date-time"}""", "\"2026-02-29T00:00:00Z\"", false)]
    [InlineData("""{"format":"date-time"}""", "\"2026-11-02T08:15:42\"", false)]
    [InlineData("""{"format":"date-time"}""", "\"2026-11-02 08:15:42Z\"", false)]
    [InlineData("""{"format":"date-time"}""", "\"2026-11-02T24:00:00Z\"", false)]
    [InlineData("""{"format":"date-time"}""", "\"2026-11-02T08:15:42.Z\"", false)]
    [InlineData("""{"format":"uuid"}""", "\"3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c\"", true)]
    [InlineData("""{"format":"uuid"}""", "\"3F2B8C1E-9D4A-4E6B-8A7C-1D2E3F4A5B6C\"", true)]
    [InlineData("""{"format":"uuid"}""", "\"3f2b8c1e9d4a4e6b8a7c1d2e3f4a5b6c\"", false)]
    [InlineData("""{"format":"uuid"}""", "\"3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6g\"", false)]
    // $ref
    [InlineData("""{"$defs":{"id":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/id"}}}""", """{"a":"x"}""", true)]
    [InlineData("""{"$defs":{"id":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/id"}}}""", """{"a":1}""", false)]
    [InlineData("""{"$defs":{"id":{"type":"string","maxLength":3}},"properties":{"a":{"$ref":"#/$defs/id","minLength":2}}}""", """{"a":"x"}""", false)]
    [InlineData("""{"type":"object","properties":{"next":{"$ref":"#"}},"additionalProperties":false}""", """{"next":{"next":{}}}""", true)]
    [InlineData("""{"type":"object","properties":{"next":{"$ref":"#"}},"additionalProperties":false}""", """{"next":{"next":{"x":1}}}""", false)]
    // boolean schemas
    [InlineData("true", "[1,{}]", true)]
    [InlineData("false", "null", false)]
    public void Keyword(string schema, string instance, bool valid)
    {
        var errors = Errors(schema, instance);
        Assert.True(valid == (errors.Count == 0), string.Join("; ", errors));
    }

    [Fact]
    public void Errors_are_json_pointers_with_readable_messages()
    {
        const string schema = """
            {"type":"object","properties":{"plate":{"type":"object","properties":{
              "color":{"enum":["blue","yellow","green","white","black","unknown"]},
              "text":{"type":"string"},
              "charConfidences":{"type":"array","items":{"maximum":1}}},"required":["text"]}}}
            """;
        var errors = Errors(schema, """{"plate":{"color":"purple","charConfidences":[0.5,1.5]}}""").Select(e => e.ToString()).ToList();
        Assert.Equal(
            [
                "/plate/color: 'purple' is not one of blue, yellow, green, white, black, unknown",
                "/plate/charConfidences/1: 1.5 is greater than 1",
                "/plate/text: required property is missing",
            ],
            errors);
        Assert.Equal("(root): expected object, got an array", Errors(schema, "[]").Single().ToString());
    }

    [Fact]
    public void Pointer_segments_are_escaped_and_instance_text_is_log_safe()
    {
        var errors = Errors("""{"additionalProperties":{"type":"number"}}""", """{"a/b~c":"x\u0000y"}""");
        Assert.Equal("/a~1b~0c: expected number, got 'x\\u0000y'", errors.Single().ToString());
    }

    [Fact]
    public void Reports_at_most_max_errors()
    {
        var compiled = JsonSchema.Parse("""{"items":{"type":"string"}}""");
        using var document = JsonDocument.Parse("[" + string.Join(",", Enumerable.Range(0, 1000)) + "]");
        Assert.Equal(5, compiled.Validate(document.RootElement, maxErrors: 5).Count);
    }

    [Theory]
    [InlineData("""{"anyOf":[{"type":"string"}]}""", "anyOf")]
    [InlineData("""{"properties":{"a":{"uniqueItems":true}}}""", "uniqueItems")]
    [InlineData("""{"prefixItems":[]}""", "prefixItems")]
    [InlineData("""{"patternProperties":{}}""", "patternProperties")]
    [InlineData("""{"format":"email"}""", "email")]
    [InlineData("""{"$ref":"other.json#/x"}""", "other.json")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "missing")]
    [InlineData("""{"$schema":"http://json-schema.org/draft-07/schema#"}""", "$schema")]
    [InlineData("""{"properties":{"a":{"$defs":{}}}}""", "$defs")]
    [InlineData("""{"type":"str"}""", "str")]
    [InlineData("""{"minLength":-1}""", "minLength")]
    [InlineData("""{"minimum":"0"}""", "minimum")]
    [InlineData("""{"required":"a"}""", "required")]
    [InlineData("""{"pattern":"^\\w+$"}""", "\\w")]
    [InlineData("""{"pattern":"(?i)abc"}""", "(?i")]
    [InlineData("""{"pattern":"(?<name"}""", "pattern")]
    [InlineData("""{"pattern":"[a-"}""", "pattern")]
    [InlineData("""{"minimum":2,"maximum":1}""", "bound")]
    [InlineData("""{"type":"string",}""", "not valid JSON")]
    [InlineData("""42""", "object or a boolean")]
    public void Unsupported_or_malformed_schemas_throw_at_load(string schema, string mentioned)
    {
        var e = Assert.Throws<JsonSchemaException>(() => JsonSchema.Parse(schema));
        Assert.Contains(mentioned, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Annotations_are_accepted()
    {
        var schema = JsonSchema.Parse("""
            {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:x","title":"t","description":"d",
             "$comment":"c","examples":[1],"default":1,"deprecated":false,"readOnly":true,"writeOnly":false}
            """);
        Assert.Equal("urn:x", schema.Id);
    }

    [Fact]
    public void A_pathological_pattern_fails_the_value_within_the_match_timeout()
    {
        // Unbounded backtracking: without the timeout this would effectively never finish.
        var compiled = JsonSchema.Parse("""{"pattern":"^(a+)+$"}""");
        using var document = JsonDocument.Parse("\"" + new string('a', 50_000) + "!\"");
        Assert.Equal("(root): matching ^(a+)+$ took too long", compiled.Validate(document.RootElement).Single().ToString());
    }

    [Theory]
    [InlineData("""{"\u0073ite":"x"}""", true)]    // an escaped name is still "site": required is met
    [InlineData("""{"\u0073ite":"X"}""", false)]   // ... and its value is checked
    [InlineData("""{"site":"a\u0062c"}""", true)]  // escaped values are decoded before checking
    [InlineData("""{"site":"a\nb"}""", false)]
    public void Escapes_are_decoded_before_checking(string instance, bool valid) =>
        Assert.Equal(valid, Errors("""{"properties":{"site":{"type":"string","pattern":"^[a-z]+$"}},"required":["site"]}""", instance).Count == 0);

    [Fact]
    public void Objects_with_many_declared_properties_are_checked_too()
    {
        var properties = string.Join(",", Enumerable.Range(0, 70).Select(i => $"\"p{i}\":{{\"type\":\"integer\"}}"));
        var required = string.Join(",", Enumerable.Range(0, 70).Select(i => $"\"p{i}\""));
        var schema = $"{{\"properties\":{{{properties}}},\"required\":[{required}]}}";
        var complete = "{" + string.Join(",", Enumerable.Range(0, 70).Select(i => $"\"p{i}\":{i}")) + "}";
        Assert.Empty(Errors(schema, complete));
        Assert.Equal("/p69: required property is missing", Errors(schema, complete.Replace(",\"p69\":69", "", StringComparison.Ordinal)).Single().ToString());
        Assert.Equal("/p65: expected integer, got 'x'", Errors(schema, complete.Replace("\"p65\":65", "\"p65\":\"x\"", StringComparison.Ordinal)).Single().ToString());
    }

    [Theory]
    [InlineData("^[a-z]+$", @"^[a-z]+\z")]
    [InlineData(@"^\d{2}[\d-]$", @"^[0-9]{2}[0-9-]\z")]
    [InlineData(@"a\$b", @"a\$b")]
    [InlineData("[$.]", "[$.]")]
    public void Ecma_patterns_are_translated(string ecma, string dotnet) => Assert.Equal(dotnet, EcmaPattern.ToDotNet(ecma));
}
