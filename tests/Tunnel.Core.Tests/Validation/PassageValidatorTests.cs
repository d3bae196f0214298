using System.Text;
using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;

namespace Tunnel.Core.Tests.Validation;

public class PassageValidatorTests
{
    private readonly PassageValidator validator = new(SitesFile.Maoliling);

    private PassageValidation Validate(string payload, string topic = Samples.PassageTopic, DateTimeOffset? now = null) =>
        validator.Validate(topic, Samples.Utf8(payload), now ?? Samples.Now);

    private static string Edit(string from, string to)
    {
        var edited = Samples.Passage.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Samples.Passage, edited);
        return edited;
    }

    private static PassageValidation.Rejected AssertRejected(PassageValidation verdict, RejectReason reason)
    {
        var rejected = Assert.IsType<PassageValidation.Rejected>(verdict);
        Assert.True(reason == rejected.Reason, $"expected {reason.Code()}, got {rejected}");
        Assert.False(string.IsNullOrWhiteSpace(rejected.Message));
        return rejected;
    }

    /// <summary>The array overload parses the caller's array in place; the span overload copies. Both must judge alike, a BOM included.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_array_and_a_span_of_the_same_payload_get_the_same_verdict(bool withBom)
    {
        var payload = Samples.Utf8((withBom ? "\uFEFF" : "") + Samples.Passage);
        var fromArray = Assert.IsType<PassageValidation.Accepted>(validator.Validate(Samples.PassageTopic, payload, Samples.Now)).Passage;
        var fromSpan = Assert.IsType<PassageValidation.Accepted>(validator.Validate(Samples.PassageTopic, payload.AsSpan(), Samples.Now)).Passage;
        Assert.Equal(TunnelJson.Serialize(fromSpan), TunnelJson.Serialize(fromArray));

        var broken = Samples.Utf8((withBom ? "\uFEFF" : "") + Samples.Passage[..^1]);
        var arrayReason = Assert.IsType<PassageValidation.Rejected>(validator.Validate(Samples.PassageTopic, broken, Samples.Now));
        var spanReason = Assert.IsType<PassageValidation.Rejected>(validator.Validate(Samples.PassageTopic, broken.AsSpan(), Samples.Now));
        Assert.Equal(spanReason, arrayReason);
    }

    [Fact]
    public void The_sample_passage_from_the_issue_is_accepted()
    {
        var passage = Assert.IsType<PassageValidation.Accepted>(Validate(Samples.Passage)).Passage;
        Assert.Equal(Guid.Parse("3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c"), passage.EventId);
        Assert.Equal(("maoliling-north-entry-1", 1042L), (passage.AgentId, passage.Seq));
        Assert.Equal(new BoreKey("maoliling", "north"), passage.BoreKey);
        Assert.Equal((Portal.Entry, 1, "cam-north-entry-1"), (passage.Portal, passage.Lane, passage.CameraId));
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 8, 15, 42, 123, TimeSpan.Zero), passage.CapturedAt);
        Assert.Equal("浙J12345", passage.Plate!.Text);
        Assert.Equal((PlateColor.Blue, 0.97, 7), (passage.Plate.Color, passage.Plate.Confidence, passage.Plate.CharConfidences!.Count));
        Assert.Equal(new VehicleRead { Class = VehicleClass.Truck, Confidence = 0.91, Hazmat = false, HazmatConfidence = 0.02 }, passage.Vehicle);
        Assert.Equal("optional reference", passage.Snapshot);
        Assert.Equal(1, validator.AcceptedCount);
    }

    [Theory]
    [InlineData("\"plate\":{\"text\":\"浙J12345\",\"color\":\"blue\",\"confidence\":0.97,\"charConfidences\":[0.99,0.98,0.97,0.99,0.96,0.99,0.98]}", "\"plate\":null")]
    [InlineData(",\"charConfidences\":[0.99,0.98,0.97,0.99,0.96,0.99,0.98]", "")]
    [InlineData(",\"snapshot\":\"optional reference\"", "")]
    [InlineData("{\"schema\"", "{\"unknownExtra\":[{\"deep\":{\"er\":1}}],\"SITE\":\"ignored\",\"schema\"")]
    [InlineData("\"capturedAt\":\"2026-11-02T08:15:42.123Z\"", "\"capturedAt\":\"2026-11-02T16:15:42.123+08:00\"")]
    [InlineData("\"capturedAt\":\"2026-11-02T08:15:42.123Z\"", "\"capturedAt\":\"2026-11-02T08:20:59Z\"")]
    [InlineData("\"capturedAt\":\"2026-11-02T08:15:42.123Z\"", "\"capturedAt\":\"2026-10-27T08:16:00Z\"")]
    [InlineData("-1\",\"seq\":1042,\"site\":\"maoliling\",\"bore\":\"north\",\"portal\":\"entry\",\"lane\":1", "-2\",\"seq\":1042,\"site\":\"maoliling\",\"bore\":\"north\",\"portal\":\"entry\",\"lane\":2")]
    public void Valid_variants_are_accepted(string from, string to)
    {
        var verdict = Validate(Edit(from, to));
        Assert.True(verdict is PassageValidation.Accepted, verdict.ToString());
    }

    [Fact]
    public void An_unread_plate_is_accepted_absent_or_null()
    {
        var withoutPlate = JsonSerializer.Deserialize<Passage>(Samples.Passage, TunnelJson.Options)! with { Plate = null };
        var accepted = Assert.IsType<PassageValidation.Accepted>(Validate(TunnelJson.Serialize(withoutPlate)));
        Assert.Null(accepted.Passage.Plate);
    }

    [Fact]
    public void A_byte_order_mark_is_tolerated() =>
        Assert.IsType<PassageValidation.Accepted>(validator.Validate(Samples.PassageTopic, [0xEF, 0xBB, 0xBF, .. Samples.Utf8(Samples.Passage)], Samples.Now));

    public static TheoryData<string, string, string, RejectReason> Rejections => new()
    {
        { "malformed", Samples.Passage[..^5], Samples.PassageTopic, RejectReason.MalformedJson },
        { "trailing data", Samples.Passage + "{}", Samples.PassageTopic, RejectReason.MalformedJson },
        { "comment", "/* hi */" + Samples.Passage, Samples.PassageTopic, RejectReason.MalformedJson },
        { "duplicate key", Samples.Passage[..^1] + ",\"site\":\"other\"}", Samples.PassageTopic, RejectReason.MalformedJson },
        { "too deep", Edit("\"snapshot\"", "\"x\":" + new string('[', 20) + new string(']', 20) + ",\"snapshot\""), Samples.PassageTopic, RejectReason.MalformedJson },
        { "empty", "", Samples.PassageTopic, RejectReason.MalformedJson },
        { "wrong schema", Edit("tunnel.passage.v1", "tunnel.passage.v2"), Samples.PassageTopic, RejectReason.WrongSchema },
        { "an alarm", Samples.Alarm, Samples.PassageTopic, RejectReason.WrongSchema },
        { "missing field", Edit("\"lane\":1,", ""), Samples.PassageTopic, RejectReason.Schema },
        { "not an object", "[1,2,3]", Samples.PassageTopic, RejectReason.Schema },
        { "out of range", Edit("\"confidence\":0.91", "\"confidence\":91"), Samples.PassageTopic, RejectReason.Schema },
        { "case-variant key", Edit("\"cameraId\"", "\"CameraId\""), Samples.PassageTopic, RejectReason.Schema },
        { "leap second", Edit("08:15:42.123Z", "23:59:60Z"), Samples.PassageTopic, RejectReason.Schema },
        { "integral float", Edit("\"lane\":1", "\"lane\":1.0"), Samples.PassageTopic, RejectReason.Schema },
        { "offset out of range", Edit("08:15:42.123Z", "08:15:42.123+15:00"), Samples.PassageTopic, RejectReason.Schema },
        { "garbage topic", Samples.Passage, "tunnel/v1/maoliling/north/entry", RejectReason.BadTopic },
        { "wildcard topic", Samples.Passage, "tunnel/v1/+/north/entry/passage", RejectReason.BadTopic },
        { "bad portal in topic", Samples.Passage, "tunnel/v1/maoliling/north/middle/passage", RejectReason.BadTopic },
        { "portal mismatch", Samples.Passage, "tunnel/v1/maoliling/north/exit/passage", RejectReason.TopicMismatch },
        { "bore mismatch", Samples.Passage, "tunnel/v1/maoliling/south/entry/passage", RejectReason.TopicMismatch },
        { "site mismatch", Samples.Passage, "tunnel/v1/other/north/entry/passage", RejectReason.TopicMismatch },
        { "unknown site", Edit("\"site\":\"maoliling\"", "\"site\":\"nowhere\""), "tunnel/v1/nowhere/north/entry/passage", RejectReason.UnknownSite },
        { "unknown bore", Edit("\"bore\":\"north\"", "\"bore\":\"east\""), "tunnel/v1/maoliling/east/entry/passage", RejectReason.UnknownBore },
        { "lane beyond bore", Edit("\"lane\":1", "\"lane\":3"), Samples.PassageTopic, RejectReason.BadLane },
        { "the other lane's agent", Edit("\"lane\":1", "\"lane\":2"), Samples.PassageTopic, RejectReason.AgentMismatch },
        { "another portal's agent", Edit("maoliling-north-entry-1", "maoliling-north-exit-1"), Samples.PassageTopic, RejectReason.AgentMismatch },
        { "unconventional agent id", Edit("maoliling-north-entry-1", "camera-7"), Samples.PassageTopic, RejectReason.AgentMismatch },
        { "portal not kebab-case in agent id", Edit("maoliling-north-entry-1", "maoliling-north-Entry-1"), Samples.PassageTopic, RejectReason.Schema },
        { "future", Edit("2026-11-02T08:15:42.123Z", "2026-11-02T08:21:00.001Z"), Samples.PassageTopic, RejectReason.FutureTimestamp },
        { "stale", Edit("2026-11-02T08:15:42.123Z", "2026-10-26T08:15:59.999Z"), Samples.PassageTopic, RejectReason.StaleTimestamp },
        { "markup plate", Edit("浙J12345", "<b>J1</b>"), Samples.PassageTopic, RejectReason.BadPlate },
        { "lower-case plate", Edit("浙J12345", "浙j12345"), Samples.PassageTopic, RejectReason.BadPlate },
        { "too few char confidences", Edit("0.99,0.98,0.97,0.99,0.96,0.99,0.98", "0.99,0.98,0.97"), Samples.PassageTopic, RejectReason.BadPlate },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Each_kind_of_bad_input_is_rejected_with_its_reason(string _, string payload, string topic, RejectReason reason)
    {
        AssertRejected(Validate(payload, topic), reason);
        Assert.Equal(1, validator.RejectedCount(reason));
        Assert.Equal(0, validator.AcceptedCount);
    }

    [Fact]
    public void Oversized_payloads_are_rejected_before_parsing()
    {
        var small = new PassageValidator(SitesFile.Maoliling, new PassageValidatorOptions { MaxPayloadBytes = 200 });
        var rejected = AssertRejected(small.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now), RejectReason.Oversized);
        Assert.Equal("maoliling-north-entry-1", rejected.AgentId);
        var giant = Edit("\"snapshot\"", "\"x\":\"" + new string('a', 70_000) + "\",\"snapshot\"");
        AssertRejected(Validate(giant), RejectReason.Oversized);
    }

    [Fact]
    public void Invalid_utf8_is_malformed()
    {
        var bytes = Samples.Utf8(Samples.Passage);
        var at = Array.IndexOf(bytes, (byte)'J');
        bytes[at] = 0xFF;
        AssertRejected(validator.Validate(Samples.PassageTopic, bytes, Samples.Now), RejectReason.MalformedJson);
    }

    [Fact]
    public void Windows_are_configurable()
    {
        var strict = new PassageValidator(SitesFile.Maoliling, new PassageValidatorOptions { MaxClockSkew = TimeSpan.Zero, MaxAge = TimeSpan.FromSeconds(10) });
        AssertRejected(strict.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now), RejectReason.StaleTimestamp);
        AssertRejected(strict.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now.AddSeconds(-18)), RejectReason.FutureTimestamp);
        Assert.IsType<PassageValidation.Accepted>(strict.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now.AddSeconds(-17)));
    }

    [Fact]
    public void The_agent_id_is_reported_when_it_can_be_read_and_is_well_formed()
    {
        Assert.Equal("maoliling-north-entry-1", AssertRejected(Validate(Samples.Passage, "tunnel/v1/maoliling/north/exit/passage"), RejectReason.TopicMismatch).AgentId);
        Assert.Equal("maoliling-north-entry-1", AssertRejected(Validate(Edit("\"lane\":1", "\"lane\":\"one\"")), RejectReason.Schema).AgentId);
        // Truncated after the agent id: still attributable.
        Assert.Equal("maoliling-north-entry-1", AssertRejected(Validate(Samples.Passage[..200]), RejectReason.MalformedJson).AgentId);
        Assert.Null(AssertRejected(Validate(Edit("\"agentId\":\"maoliling-north-entry-1\"", "\"agentId\":\"<evil>\"")), RejectReason.Schema).AgentId);
        Assert.Null(AssertRejected(Validate("{{{"), RejectReason.MalformedJson).AgentId);
    }

    [Fact]
    public void The_seq_is_reported_with_the_agent_id_when_both_can_be_read_safely()
    {
        // Parsed far enough: from the document, whatever failed after.
        Assert.Equal(("maoliling-north-entry-1", 1042L), Identity(AssertRejected(Validate(Edit("\"lane\":1", "\"lane\":\"one\"")), RejectReason.Schema)));
        Assert.Equal(("maoliling-north-entry-1", 1042L), Identity(AssertRejected(Validate(Edit("浙J12345", "<b>X</b>")), RejectReason.BadPlate)));
        Assert.Equal(("maoliling-north-entry-1", 1042L), Identity(AssertRejected(Validate(Samples.Passage, "tunnel/v1/maoliling/north/entry/passage", Samples.Now.AddDays(30)), RejectReason.StaleTimestamp)));
        Assert.Equal(("maoliling-north-entry-1", 0L), Identity(AssertRejected(Validate(Edit("\"seq\":1042", "\"seq\":0").Replace("\"blue\"", "\"purple\"", StringComparison.Ordinal)), RejectReason.Schema)));
        // Or from the intact part before the damage.
        Assert.Equal(("maoliling-north-entry-1", 1042L), Identity(AssertRejected(Validate(Samples.Passage[..200]), RejectReason.MalformedJson)));
        var small = new PassageValidator(SitesFile.Maoliling, new PassageValidatorOptions { MaxPayloadBytes = 200 });
        Assert.Equal(("maoliling-north-entry-1", 1042L), Identity(AssertRejected(small.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now), RejectReason.Oversized)));
    }

    [Fact]
    public void The_seq_is_null_when_it_cannot_be_read_safely_or_may_be_another_agents()
    {
        var cutInSeq = Samples.Passage[..(Samples.Passage.IndexOf("\"seq\":1042", StringComparison.Ordinal) + "\"seq\":10".Length)];
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(cutInSeq), RejectReason.MalformedJson)));
        var cutBeforeSeq = Samples.Passage[..Samples.Passage.IndexOf("\"seq\"", StringComparison.Ordinal)];
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(cutBeforeSeq), RejectReason.MalformedJson)));
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Samples.Passage[..^1] + ",\"seq\":7}"), RejectReason.MalformedJson)));
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Samples.Passage[..^1] + ",\"agentId\":\"maoliling-north-entry-2\"}"), RejectReason.MalformedJson)));
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Edit("\"seq\":1042", "\"seq\":\"1042\"")), RejectReason.Schema)));
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Edit("\"seq\":1042", "\"seq\":1042.5")), RejectReason.Schema)));
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Edit("\"seq\":1042", "\"seq\":-1")), RejectReason.Schema)));
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Edit("\"seq\":1042", "\"seq\":9007199254740992")), RejectReason.Schema)));
        // No agent to credit.
        Assert.Equal((null, (long?)null), Identity(AssertRejected(Validate(Edit("\"agentId\":\"maoliling-north-entry-1\"", "\"agentId\":\"<evil>\"")), RejectReason.Schema)));
        Assert.Equal((null, (long?)null), Identity(AssertRejected(Validate(Edit("\"agentId\":\"maoliling-north-entry-1\",", "")), RejectReason.Schema)));
        // An agent id that is not of the topic's portal, or not the sender's: closing its seqs would let one agent drain another's outbox.
        Assert.Equal(("maoliling-north-entry-1", (long?)null), Identity(AssertRejected(Validate(Samples.Passage, "tunnel/v1/maoliling/north/exit/passage"), RejectReason.TopicMismatch)));
        Assert.Equal(("maoliling-north-entry-2", (long?)null), Identity(AssertRejected(Validate(Edit("maoliling-north-entry-1", "maoliling-north-entry-2")), RejectReason.AgentMismatch)));
        Assert.Equal(("camera-7", (long?)null), Identity(AssertRejected(Validate(Edit("maoliling-north-entry-1", "camera-7").Replace("\"lane\":1", "\"lane\":\"one\"", StringComparison.Ordinal)), RejectReason.Schema)));
        Assert.Equal((null, (long?)null), Identity(AssertRejected(Validate("{{{"), RejectReason.MalformedJson)));
        Assert.Equal((null, (long?)null), Identity(new PassageValidation.Rejected(RejectReason.InternalError, "m", null)));
    }

    [Fact]
    public void Conventional_agent_ids_can_be_turned_off()
    {
        var lax = new PassageValidator(SitesFile.Maoliling, new PassageValidatorOptions { RequireConventionalAgentIds = false });
        Assert.IsType<PassageValidation.Accepted>(lax.Validate(Samples.PassageTopic, Samples.Utf8(Edit("maoliling-north-entry-1", "camera-7")), Samples.Now));
        // Without the convention any readable agent id is credited with its seq.
        var mismatch = AssertRejected(lax.Validate("tunnel/v1/maoliling/north/exit/passage", Samples.Utf8(Samples.Passage), Samples.Now), RejectReason.TopicMismatch);
        Assert.Equal(("maoliling-north-entry-1", 1042L), Identity(mismatch));
        Assert.Equal("maoliling-north-exit-2", PassageValidator.ConventionalAgentId("maoliling", "north", Portal.Exit, 2));
        Assert.True(PassageValidatorOptions.Default.RequireConventionalAgentIds);
        Assert.Equal("agentId 'maoliling-north-entry-2' is not maoliling-north-entry-1, the agent of this site, bore, portal and lane",
            AssertRejected(Validate(Edit("maoliling-north-entry-1", "maoliling-north-entry-2")), RejectReason.AgentMismatch).Message);
    }

    private static (string? AgentId, long? Seq) Identity(PassageValidation.Rejected rejected) => (rejected.AgentId, rejected.Seq);

    [Fact]
    public void Messages_point_at_the_problem()
    {
        Assert.Equal("/plate/color: 'purple' is not one of blue, yellow, green, white, black, unknown",
            AssertRejected(Validate(Edit("\"blue\"", "\"purple\"")), RejectReason.Schema).Message);
        Assert.Equal("topic says maoliling/south/entry, payload says maoliling/north/entry",
            AssertRejected(Validate(Samples.Passage, "tunnel/v1/maoliling/south/entry/passage"), RejectReason.TopicMismatch).Message);
        Assert.Equal("lane 3 but bore 'maoliling/north' has 2", AssertRejected(Validate(Edit("\"lane\":1", "\"lane\":3")), RejectReason.BadLane).Message);
    }

    [Fact]
    public void A_passage_from_a_retired_cameras_lane_is_rejected_and_counts_as_handled()
    {
        var site = SitesFile.Maoliling.Sites[0];
        var north = site.Bores.First(b => b.Id == "north");
        var cameras = north.EffectiveCameras().Select(c => c.Portal == Portal.Entry && c.Lane == 1 ? c with { Retired = true } : c).ToList();
        var retired = new PassageValidator(new SitesFile { Sites = [site with { Bores = [.. site.Bores.Select(b => b.Id == "north" ? b with { Cameras = cameras } : b)] }] });

        var rejected = AssertRejected(retired.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now), RejectReason.RetiredCamera);
        Assert.Equal("no active camera at entry lane 1 of bore 'maoliling/north' (retired)", rejected.Message);
        Assert.Equal(1042, rejected.Seq);
        var lane2 = Edit("\"lane\":1", "\"lane\":2").Replace("north-entry-1", "north-entry-2");
        Assert.IsType<PassageValidation.Accepted>(retired.Validate(Samples.PassageTopic, Samples.Utf8(lane2), Samples.Now));
    }

    [Fact]
    public void A_null_topic_is_a_bad_topic_not_a_crash() =>
        AssertRejected(validator.Validate(null!, Samples.Utf8(Samples.Passage), Samples.Now), RejectReason.BadTopic);

    [Fact]
    public void Reason_codes_are_kebab_case_on_the_wire()
    {
        Assert.Equal(
            ["oversized", "malformed-json", "wrong-schema", "schema", "bad-topic", "topic-mismatch", "unknown-site", "unknown-bore",
             "bad-lane", "agent-mismatch", "retired-camera", "future-timestamp", "stale-timestamp", "bad-plate", "internal-error"],
            RejectReasons.All.Select(r => r.Code()));
        Assert.Equal("\"topic-mismatch\"", JsonSerializer.Serialize(RejectReason.TopicMismatch, TunnelJson.Options));
        var rejected = new PassageValidation.Rejected(RejectReason.BadPlate, "m", null);
        Assert.Equal("bad-plate", rejected.Code);
    }

    [Fact]
    public void Topics_parse_and_format_round_trip()
    {
        Assert.True(PassageTopic.TryParse(Samples.PassageTopic, out var topic));
        Assert.Equal(new PassageTopic("maoliling", "north", Portal.Entry), topic);
        Assert.Equal(Samples.PassageTopic, topic.ToString());
        foreach (var bad in new[] { "", "tunnel/v1/a/b/c/passage", "tunnel/v1/a/b/entry/passage/", "/tunnel/v1/a/b/entry/passage", "tunnel/v1/A/b/exit/passage", "tunnel/v1//b/exit/passage" })
            Assert.False(PassageTopic.TryParse(bad, out _), bad);
    }

    [Fact]
    public void Concurrent_use_counts_every_verdict()
    {
        var good = Samples.Utf8(Samples.Passage);
        var bad = Encoding.UTF8.GetBytes("nope");
        Parallel.For(0, 2000, i => validator.Validate(Samples.PassageTopic, i % 4 == 0 ? bad : good, Samples.Now));
        Assert.Equal(1500, validator.AcceptedCount);
        Assert.Equal(500, validator.RejectedCount(RejectReason.MalformedJson));
        Assert.Equal(500, validator.RejectedCounts().Values.Sum());
    }
}
