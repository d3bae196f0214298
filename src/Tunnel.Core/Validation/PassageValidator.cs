using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Tunnel.Core.Contracts;
using Tunnel.Core.Schema;

namespace Tunnel.Core.Validation;

/// <summary>
/// The ingest gate for passage messages: every message gets exactly one verdict, accepted with the
/// parsed <see cref="Passage"/> or rejected with a <see cref="RejectReason"/>, and no input makes it throw.
/// Thread-safe; one instance serves all ingest threads.
/// </summary>
/// <remarks>
/// Order: size cap, UTF-8 and JSON (depth limit, duplicate property names refused), schema id,
/// JSON Schema (<see cref="TunnelSchemas.Passage"/>), deserialisation, then the checks a schema cannot
/// express: topic agrees with payload, site and bore configured and lane within the bore, capturedAt
/// and (<see cref="PassageValidatorOptions.RequireConventionalAgentIds"/>) agentId is <see cref="ConventionalAgentId"/>,
/// capturedAt within [now - MaxAge, now + MaxClockSkew], plausible plate text (<see cref="PlateTextRule"/>) with one
/// char confidence per plate character.
/// </remarks>
public sealed class PassageValidator
{
    private const int MaxMessageChars = 500;

    /// <summary>The schema's maximum seq (2^53 - 1, exact in every JSON number implementation).</summary>
    private const long MaxSeq = 9_007_199_254_740_991;

    // TunnelJson.Options but case-sensitive: the schema matches property names exactly, so a payload with
    // both "cameraId" and "CAMERAID" would otherwise pass the schema on one and deserialise the other.
    private static readonly JsonSerializerOptions strictOptions = CreateStrictOptions();

    private readonly JsonSchema schema;
    private readonly Dictionary<string, Dictionary<string, BoreRules>> bores;
    private readonly JsonDocumentOptions documentOptions;
    private readonly long[] rejectedCounts = new long[RejectReasons.All.Count];
    private long acceptedCount;

    public PassageValidator(SitesFile sites, PassageValidatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sites);
        Options = options ?? PassageValidatorOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxPayloadBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxJsonDepth, 4);
        schema = TunnelSchemas.Passage;
        bores = sites.Sites.ToDictionary(
            s => s.Id,
            s => s.Bores.ToDictionary(b => b.Id, b => new BoreRules(s.Id, b), StringComparer.Ordinal),
            StringComparer.Ordinal);
        documentOptions = new JsonDocumentOptions
        {
            MaxDepth = Options.MaxJsonDepth,
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
            // Which of two "site" values counts is not something the sender and we should disagree on.
            AllowDuplicateProperties = false,
        };
    }

    public PassageValidatorOptions Options { get; }

    public long AcceptedCount => Interlocked.Read(ref acceptedCount);

    public long RejectedCount(RejectReason reason) => Interlocked.Read(ref rejectedCounts[(int)reason]);

    /// <summary>Counts per reason since this validator was created, for metrics.</summary>
    public IReadOnlyDictionary<RejectReason, long> RejectedCounts() =>
        RejectReasons.All.ToDictionary(r => r, RejectedCount);

    public PassageValidation Validate(string topic, ReadOnlySpan<byte> payload, DateTimeOffset now) => Validate(topic, payload, null, now);

    /// <summary>
    /// As the span overload, without copying the payload for the JSON parser: the array must not change
    /// until this returns (nothing refers to it afterwards). A received MQTT message's payload is such an array.
    /// </summary>
    public PassageValidation Validate(string topic, byte[] payload, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Validate(topic, payload, payload, now);
    }

    private PassageValidation Validate(string topic, ReadOnlySpan<byte> payload, byte[]? whole, DateTimeOffset now)
    {
        PassageValidation verdict;
        try
        {
            verdict = ValidateCore(topic, payload, whole, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug here must cost one dead-lettered message, not the ingest loop.
            verdict = new PassageValidation.Rejected(RejectReason.InternalError, Clip($"validator failed: {e.GetType().Name}: {e.Message}"), null);
        }
        // The broker vouches for the topic, not for the payload: a seq is only offered as handled for an agent of the topic's portal.
        if (verdict is PassageValidation.Rejected { Seq: not null } claimed && !BelongsToTopic(topic, claimed.AgentId))
            verdict = claimed with { Seq = null };
        if (verdict is PassageValidation.Rejected rejected) Interlocked.Increment(ref rejectedCounts[(int)rejected.Reason]);
        else Interlocked.Increment(ref acceptedCount);
        return verdict;
    }

    /// <summary>
    /// The agent id the embedded deployment gives the camera agent of one lane: <c>{site}-{bore}-{portal}-{lane}</c>,
    /// portal kebab-case (<c>maoliling-north-entry-1</c>).
    /// </summary>
    public static string ConventionalAgentId(string site, string bore, Portal portal, int lane) =>
        string.Create(CultureInfo.InvariantCulture, $"{site}-{bore}-{TunnelJson.Name(portal)}-{lane}");

    /// <param name="whole">The array <paramref name="payload"/> spans, when the caller lends it: parsed in place.</param>
    private PassageValidation ValidateCore(string topic, ReadOnlySpan<byte> payload, byte[]? whole, DateTimeOffset now)
    {
        var start = 0;
        if (payload.Length > Options.MaxPayloadBytes)
        {
            var (scannedAgent, scannedSeq) = ScanIdentity(payload[..Options.MaxPayloadBytes]);
            return Reject(RejectReason.Oversized, $"payload of {payload.Length} bytes exceeds {Options.MaxPayloadBytes}", scannedAgent, scannedSeq);
        }
        if (payload.StartsWith("\uFEFF"u8))
        {
            payload = payload[3..];
            start = 3;
        }
        if (!Utf8.IsValid(payload)) return Reject(RejectReason.MalformedJson, "payload is not valid UTF-8", null);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(whole is null ? payload.ToArray() : whole.AsMemory(start), documentOptions);
        }
        catch (JsonException e)
        {
            var (scannedAgent, scannedSeq) = ScanIdentity(payload);
            return Reject(RejectReason.MalformedJson, $"not JSON: {e.Message}", scannedAgent, scannedSeq);
        }

        using (document)
        {
            var root = document.RootElement;
            var agentId = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("agentId"u8, out var agentElement)
                && agentElement.ValueKind == JsonValueKind.String
                && agentElement.GetString() is { } readAgent
                && Identifiers.IsValid(readAgent)
                    ? readAgent
                    : null;
            // Duplicate property names were refused by the parser, so there is one seq to read, or none.
            var seq = agentId is not null
                && root.TryGetProperty("seq"u8, out var seqElement)
                && seqElement.ValueKind == JsonValueKind.Number
                && seqElement.TryGetInt64(out var readSeq)
                && readSeq is >= 0 and <= MaxSeq
                    ? readSeq
                    : (long?)null;

            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("schema"u8, out var schemaId)
                && schemaId.ValueKind == JsonValueKind.String
                && !schemaId.ValueEquals(Passage.SchemaId))
                return Reject(RejectReason.WrongSchema, $"schema {SchemaNode.Describe(schemaId)} is not {Passage.SchemaId}", agentId, seq);

            // The yes/no check builds no paths or messages; only a failure pays for explaining itself.
            if (!schema.IsValid(root))
                return Reject(RejectReason.Schema, string.Join("; ", schema.Validate(root, maxErrors: 3)), agentId, seq);

            Passage? passage;
            try
            {
                passage = root.Deserialize<Passage>(strictOptions);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException)
            {
                // The schema admits a few values the contract types cannot hold (a leap second, 't' for 'T', 1.0 for an int).
                return Reject(RejectReason.Schema, $"does not fit the passage contract: {e.Message}", agentId, seq);
            }
            if (passage is null) return Reject(RejectReason.Schema, "payload is null", agentId, seq);
            return CheckSemantics(topic, passage, now);
        }
    }

    private PassageValidation CheckSemantics(string topic, Passage passage, DateTimeOffset now)
    {
        var agentId = passage.AgentId;
        long? seq = passage.Seq;
        if (!PassageTopic.TryParse(topic, out var parsed))
            return Reject(RejectReason.BadTopic, $"topic {Display.Quote(topic ?? "")} is not tunnel/v1/{{site}}/{{bore}}/{{entry|exit}}/passage", agentId, seq);
        if (parsed.Site != passage.Site || parsed.Bore != passage.Bore || parsed.Portal != passage.Portal)
            return Reject(RejectReason.TopicMismatch,
                $"topic says {parsed.Site}/{parsed.Bore}/{TunnelJson.Name(parsed.Portal)}, payload says {passage.Site}/{passage.Bore}/{TunnelJson.Name(passage.Portal)}", agentId, seq);

        if (!bores.TryGetValue(passage.Site, out var siteBores))
            return Reject(RejectReason.UnknownSite, $"site '{passage.Site}' is not configured", agentId, seq);
        if (!siteBores.TryGetValue(passage.Bore, out var bore))
            return Reject(RejectReason.UnknownBore, $"bore '{passage.Site}/{passage.Bore}' is not configured", agentId, seq);
        if (passage.Lane > bore.Lanes)
            return Reject(RejectReason.BadLane, $"lane {passage.Lane} but bore '{passage.Site}/{passage.Bore}' has {bore.Lanes}", agentId, seq);
        // A retired camera's agent may still reach an external broker; what it sends is kept, not matched.
        if (!bore.HasActiveCamera(passage.Portal, passage.Lane))
            return Reject(RejectReason.RetiredCamera,
                $"no active camera at {TunnelJson.Name(passage.Portal)} lane {passage.Lane} of bore '{passage.Site}/{passage.Bore}' (retired)", agentId, seq);
        if (Options.RequireConventionalAgentIds
            && bore.ConventionalAgentId(passage.Portal, passage.Lane) is var expected
            && !string.Equals(agentId, expected, StringComparison.Ordinal))
            // No seq: the sender is not who the payload names, and its seqs must not close another agent's gaps.
            return Reject(RejectReason.AgentMismatch, $"agentId {Display.Quote(agentId)} is not {expected}, the agent of this site, bore, portal and lane", agentId);

        if (passage.CapturedAt > now + Options.MaxClockSkew)
            return Reject(RejectReason.FutureTimestamp, $"capturedAt {Iso(passage.CapturedAt)} is more than {Options.MaxClockSkew} ahead of {Iso(now)}", agentId, seq);
        if (passage.CapturedAt < now - Options.MaxAge)
            return Reject(RejectReason.StaleTimestamp, $"capturedAt {Iso(passage.CapturedAt)} is more than {Options.MaxAge} before {Iso(now)}", agentId, seq);

        if (passage.Plate is { } plate)
        {
            if (PlateTextRule.Check(plate.Text) is { } why)
                return Reject(RejectReason.BadPlate, $"plate text {Display.Quote(plate.Text)} {why}", agentId, seq);
            var characters = PlateTextRule.CountCharacters(plate.Text);
            if (plate.CharConfidences is { } perChar && perChar.Count != characters)
                return Reject(RejectReason.BadPlate, $"{perChar.Count} charConfidences for the {characters} characters of {Display.Quote(plate.Text)}", agentId, seq);
        }
        return new PassageValidation.Accepted(passage);
    }

    /// <summary>
    /// Best effort for payloads that do not parse: a well-formed top-level agentId and seq seen before the damage.
    /// A number cut off at the end of the input is not read (the reader waits for its delimiter), so truncation cannot
    /// shorten a seq; a second agentId or seq makes the seq ambiguous, and it is not returned.
    /// </summary>
    private static (string? AgentId, long? Seq) ScanIdentity(ReadOnlySpan<byte> payload)
    {
        string? agentId = null;
        long? seq = null;
        bool agentSeen = false, seqSeen = false, ambiguous = false;
        try
        {
            var reader = new Utf8JsonReader(payload, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 8 }));
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                if (reader.ValueTextEquals("agentId"u8))
                {
                    if (agentSeen) { ambiguous = true; break; }
                    agentSeen = true;
                    if (!reader.Read()) break;
                    if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } id && Identifiers.IsValid(id)) agentId = id;
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    if (seqSeen) { ambiguous = true; break; }
                    seqSeen = true;
                    if (!reader.Read()) break;
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var read) && read is >= 0 and <= MaxSeq) seq = read;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The damage: what was read before it stands.
        }
        return (agentId, agentId is null || ambiguous ? null : seq);
    }

    /// <summary>
    /// Whether <paramref name="agentId"/> can be an agent publishing on <paramref name="topic"/>: <c>{site}-{bore}-{portal}-{n}</c>
    /// of the topic when conventional agent ids are required, any agent id otherwise.
    /// </summary>
    private bool BelongsToTopic(string topic, string? agentId)
    {
        if (agentId is null) return false;
        if (!Options.RequireConventionalAgentIds) return true;
        if (!PassageTopic.TryParse(topic, out var parsed)) return false;
        var prefix = $"{parsed.Site}-{parsed.Bore}-{TunnelJson.Name(parsed.Portal)}-";
        if (!agentId.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var lane = agentId.AsSpan(prefix.Length);
        return lane.Length is > 0 and <= 9 && lane[0] != '0' && !lane.ContainsAnyExceptInRange('0', '9');
    }

    private static PassageValidation.Rejected Reject(RejectReason reason, string message, string? agentId, long? seq = null) =>
        new(reason, Clip(message), agentId, agentId is null ? null : seq);

    private static string Clip(string message) => message.Length <= MaxMessageChars ? message : message[..MaxMessageChars] + "…";

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static JsonSerializerOptions CreateStrictOptions()
    {
        var options = new JsonSerializerOptions(TunnelJson.Options) { PropertyNameCaseInsensitive = false };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// What the semantic checks need of one configured bore, worked out once per sites file: the camera
    /// list (implicit cameras are built anew on every call) and the agent ids were otherwise built again
    /// for every passage.
    /// </summary>
    private sealed class BoreRules
    {
        private readonly HashSet<(Portal Portal, int Lane)> activeCameras;
        private readonly Dictionary<(Portal Portal, int Lane), string> agentIds = [];
        private readonly string site, bore;

        public BoreRules(string site, BoreConfig config)
        {
            (this.site, bore, Lanes) = (site, config.Id, config.Lanes);
            activeCameras = config.EffectiveCameras().Where(c => !c.Retired).Select(c => (c.Portal, c.Lane)).ToHashSet();
            foreach (var portal in new[] { Portal.Entry, Portal.Exit })
                for (var lane = 1; lane <= config.Lanes; lane++) agentIds[(portal, lane)] = PassageValidator.ConventionalAgentId(site, bore, portal, lane);
        }

        public int Lanes { get; }

        public bool HasActiveCamera(Portal portal, int lane) => activeCameras.Contains((portal, lane));

        /// <summary>The bore's lanes come from the table; any other lane (the lane check refuses it first) is built as before.</summary>
        public string ConventionalAgentId(Portal portal, int lane) =>
            agentIds.TryGetValue((portal, lane), out var id) ? id : PassageValidator.ConventionalAgentId(site, bore, portal, lane);
    }
}
