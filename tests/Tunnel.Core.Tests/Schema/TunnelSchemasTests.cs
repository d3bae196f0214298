using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Core.Schema;

namespace Tunnel.Core.Tests.Schema;

public class TunnelSchemasTests
{
    private static IReadOnlyList<SchemaError> Check(JsonSchema schema, string json)
    {
        using var document = JsonDocument.Parse(json);
        return schema.Validate(document.RootElement);
    }

    private static string RepoSchemasFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "schemas");
            if (File.Exists(Path.Combine(candidate, TunnelSchemas.PassageFile))) return candidate;
        }
        throw new DirectoryNotFoundException("schemas/ not found above the test binaries");
    }

    [Fact]
    public void Embedded_schemas_are_the_published_files()
    {
        var folder = RepoSchemasFolder();
        var published = Directory.GetFiles(folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(TunnelSchemas.FileNames.Order(StringComparer.Ordinal), published);
        foreach (var file in TunnelSchemas.FileNames)
            Assert.Equal(File.ReadAllText(Path.Combine(folder, file)), TunnelSchemas.ReadText(file));
    }

    [Fact]
    public void All_schemas_load_and_declare_draft_2020_12_and_an_id()
    {
        foreach (var file in TunnelSchemas.FileNames)
        {
            var schema = TunnelSchemas.Load(file);
            Assert.EndsWith("/schemas/" + file, schema.Id, StringComparison.Ordinal);
            using var document = JsonDocument.Parse(TunnelSchemas.ReadText(file));
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", document.RootElement.GetProperty("$schema").GetString());
        }
    }

    [Fact]
    public void The_sample_passage_from_the_issue_is_valid() => Assert.Empty(Check(TunnelSchemas.Passage, Samples.Passage));

    [Fact]
    public void A_serialised_passage_is_valid_with_and_without_a_plate()
    {
        var passage = JsonSerializer.Deserialize<Passage>(Samples.Passage, TunnelJson.Options)!;
        Assert.Empty(Check(TunnelSchemas.Passage, TunnelJson.Serialize(passage)));
        // An unread plate is written as no "plate" at all (null is not written): both forms must pass.
        var unread = passage with { Plate = null, Snapshot = null };
        Assert.DoesNotContain("plate", TunnelJson.Serialize(unread), StringComparison.Ordinal);
        Assert.Empty(Check(TunnelSchemas.Passage, TunnelJson.Serialize(unread)));
        Assert.Empty(Check(TunnelSchemas.Passage, Samples.Passage.Replace("\"plate\":{", "\"plate\":null,\"x\":{", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("\"lane\":1", "\"lane\":9", "/lane: 9 is greater than 8")]
    [InlineData("\"lane\":1", "\"lane\":1.5", "/lane: expected integer, got 1.5")]
    [InlineData("\"seq\":1042", "\"seq\":-1", "/seq: -1 is less than 0")]
    [InlineData("\"color\":\"blue\"", "\"color\":\"purple\"", "/plate/color: 'purple' is not one of blue, yellow, green, white, black, unknown")]
    [InlineData("\"class\":\"truck\"", "\"class\":\"tank\"", "/vehicle/class: 'tank' is not one of car, van, bus, truck, motorcycle, unknown")]
    [InlineData("\"portal\":\"entry\"", "\"portal\":\"middle\"", "/portal: 'middle' is not one of entry, exit")]
    [InlineData("\"site\":\"maoliling\"", "\"site\":\"Maoliling\"", "/site: 'Maoliling' does not match ^[a-z0-9_-]{1,64}$")]
    [InlineData("\"agentId\":\"maoliling-north-entry-1\",", "", "/agentId: required property is missing")]
    [InlineData("\"eventId\":\"3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c\"", "\"eventId\":\"42\"", "/eventId: '42' is not a uuid")]
    [InlineData("\"capturedAt\":\"2026-11-02T08:15:42.123Z\"", "\"capturedAt\":\"2026-11-02\"", "/capturedAt: '2026-11-02' is not an RFC 3339 date-time")]
    [InlineData("\"confidence\":0.97", "\"confidence\":1.2", "/plate/confidence: 1.2 is greater than 1")]
    [InlineData("\"text\":\"浙J12345\"", "\"text\":\"浙\"", "/plate/text: string of 1 characters is shorter than 2")]
    [InlineData("[0.99,0.98,0.97,0.99,0.96,0.99,0.98]", "[0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9]", "/plate/charConfidences: array of 13 items has more than 12")]
    [InlineData("\"hazmat\":false", "\"hazmat\":\"no\"", "/vehicle/hazmat: expected boolean, got 'no'")]
    [InlineData("\"schema\":\"tunnel.passage.v1\"", "\"schema\":\"tunnel.passage.v2\"", "/schema: 'tunnel.passage.v2' is not 'tunnel.passage.v1'")]
    [InlineData("\"snapshot\":\"optional reference\"", "\"snapshot\":\"a\\u0007b\"", "/snapshot: 'a\\u0007b' does not match")]
    public void Passage_schema_rejects_with_a_pointer_and_reason(string from, string to, string expected)
    {
        var json = Samples.Passage.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Samples.Passage, json);
        var errors = Check(TunnelSchemas.Passage, json);
        Assert.StartsWith(expected, errors.First().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_fields_are_allowed()
    {
        var json = Samples.Passage.Replace("{\"schema\"", "{\"receivedAt\":\"whenever\",\"vendor\":{\"fw\":[1,2]},\"schema\"", StringComparison.Ordinal);
        Assert.Empty(Check(TunnelSchemas.Passage, json));
    }

    [Fact]
    public void The_sample_alarm_from_the_issue_is_valid() => Assert.Empty(Check(TunnelSchemas.Alarm, Samples.Alarm));

    [Fact]
    public void Serialised_alarm_transitions_are_valid()
    {
        var minimal = new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.AgentOffline, State = AlarmState.ClearedUnacknowledged,
            Priority = AlarmPriority.Medium, Site = "maoliling", Bore = "south", At = Samples.Now,
        };
        var full = minimal with
        {
            Kind = AlarmKind.Overdue, State = AlarmState.Shelved, Priority = AlarmPriority.Critical, Plate = "浙J12345",
            EntryEventId = Guid.NewGuid(), Lane = 2, EnteredAt = Samples.Now.AddMinutes(-9), ElapsedSeconds = 540.5,
            VehicleClass = VehicleClass.Truck, PlateColor = PlateColor.Yellow, Hazmat = true, AgentId = "maoliling-south-entry-2",
            Reason = "stopped vehicle", By = "operator.li", Note = "called the carrier", ShelvedUntil = Samples.Now.AddHours(1),
        };
        var coded = full.WithReason(AlarmReason.Overtaken(2, 1, 5, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(3), 9.4));
        var codedWithoutArgs = minimal.WithReason(AlarmReason.ShelfExpired());
        foreach (var alarm in new[] { minimal, full, coded, codedWithoutArgs })
            Assert.Empty(Check(TunnelSchemas.Alarm, TunnelJson.Serialize(alarm)));
        foreach (var kind in Enum.GetValues<AlarmKind>())
        foreach (var state in Enum.GetValues<AlarmState>())
        foreach (var priority in Enum.GetValues<AlarmPriority>())
            Assert.True(TunnelSchemas.Alarm.IsValid(JsonSerializer.SerializeToElement(minimal with { Kind = kind, State = state, Priority = priority }, TunnelJson.Options)));
    }

    [Theory]
    [InlineData("\"kind\":\"overdue\"", "\"kind\":\"late\"", "/kind")]
    [InlineData("\"state\":\"active-unacknowledged\"", "\"state\":\"ActiveUnacknowledged\"", "/state")]
    [InlineData("\"priority\":\"high\"", "\"priority\":\"urgent\"", "/priority")]
    [InlineData("\"plate\":\"浙J12345\"", "\"plate\":null", null)]
    [InlineData("\"at\":\"2026-11-02T08:21:03.000Z\"", "\"at\":1793000000", "/at")]
    [InlineData("\"bore\":\"north\",", "", "/bore")]
    [InlineData("\"bore\":\"north\"", "\"bore\":\"north\",\"lane\":0", "/lane")]
    // The reason's code and arguments are optional and additive: a message of before (the sample) has neither.
    [InlineData("\"bore\":\"north\"", "\"bore\":\"north\",\"reason\":\"left the bore at 08:21:00 by lane 2\",\"reasonCode\":\"left\",\"reasonArgs\":{\"time\":\"08:21:00\",\"lane\":\"2\"}", null)]
    [InlineData("\"bore\":\"north\"", "\"bore\":\"north\",\"reasonCode\":null,\"reasonArgs\":null", null)]
    [InlineData("\"bore\":\"north\"", "\"bore\":\"north\",\"reasonCode\":\"Left the bore\"", "/reasonCode")]
    [InlineData("\"bore\":\"north\"", "\"bore\":\"north\",\"reasonArgs\":{\"lane\":2}", "/reasonArgs/lane")]
    [InlineData("\"bore\":\"north\"", "\"bore\":\"north\",\"reasonArgs\":[\"2\"]", "/reasonArgs")]
    public void Alarm_schema_cases(string from, string to, string? failingPath)
    {
        var errors = Check(TunnelSchemas.Alarm, Samples.Alarm.Replace(from, to, StringComparison.Ordinal));
        if (failingPath is null) Assert.Empty(errors);
        else Assert.Equal(failingPath, errors.First().Path);
    }

    [Fact]
    public void The_reference_sites_file_is_valid_and_bad_ones_are_not()
    {
        Assert.Empty(Check(TunnelSchemas.Sites, TunnelJson.Serialize(SitesFile.Maoliling)));
        Assert.Equal("/sites", Check(TunnelSchemas.Sites, """{"sites":[]}""").Single().Path);
        var errors = Check(TunnelSchemas.Sites, """{"sites":[{"id":"x","bores":[{"id":"n","lengthMeters":0,"speedLimitKmh":80,"lanes":9}]}]}""");
        Assert.Equal(["/sites/0/bores/0/lengthMeters", "/sites/0/bores/0/lanes"], errors.Select(e => e.Path));
    }
}
