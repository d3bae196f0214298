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
/// within [now - MaxAge, now + MaxClockSkew], plausible plate text (<see cref="PlateTextRule"/>) with one
/// char confidence per plate character.
/// </remarks>
public sealed class PassageValidator
{
    private const int MaxMessageChars = 500;

    // TunnelJson.Options but case-sensitive: the schema matches property names exactly, so a payload with
    // both "cameraId" and "CAMERAID" would otherwise pass the schema on one and deserialise the other.
    private static readonly JsonSerializerOptions strictOptions = CreateStrictOptions();

    private readonly JsonSchema schema;
    private readonly Dictionary<string, Dictionary<string, BoreConfig>> bores;
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
            s => s.Bores.ToDictionary(b => b.Id, StringComparer.Ordinal),
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

    public PassageValidation Validate(string topic, ReadOnlySpan<byte> payload, DateTimeOffset now)
    {
        PassageValidation verdict;
        try
        {
            verdict = ValidateCore(topic, payload, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug here must cost one dead-lettered message, not the ingest loop.
            verdict = new PassageValidation.Rejected(RejectReason.InternalError, Clip($"validator failed: {e.GetType().Name}: {e.Message}"), null);
        }
        if (verdict is PassageValidation.Rejected rejected) Interlocked.Increment(ref rejectedCounts[(int)rejected.Reason]);
        else Interlocked.Increment(ref acceptedCount);
        return verdict;
    }

    private PassageValidation ValidateCore(string topic, ReadOnlySpan<byte> payload, DateTimeOffset now)
    {
        if (payload.Length > Options.MaxPayloadBytes)
            return Reject(RejectReason.Oversized, $"payload of {payload.Length} bytes exceeds {Options.MaxPayloadBytes}", ScanAgentId(payload[..Options.MaxPayloadBytes]));
        if (payload.StartsWith("\uFEFF"u8)) payload = payload[3..];
        if (!Utf8.IsValid(payload)) return Reject(RejectReason.MalformedJson, "payload is not valid UTF-8", null);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray(), documentOptions);
        }
        catch (JsonException e)
        {
            return Reject(RejectReason.MalformedJson, $"not JSON: {e.Message}", ScanAgentId(payload));
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

            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("schema"u8, out var schemaId)
                && schemaId.ValueKind == JsonValueKind.String
                && !schemaId.ValueEquals(Passage.SchemaId))
                return Reject(RejectReason.WrongSchema, $"schema {SchemaNode.Describe(schemaId)} is not {Passage.SchemaId}", agentId);

            // The yes/no check builds no paths or messages; only a failure pays for explaining itself.
            if (!schema.IsValid(root))
                return Reject(RejectReason.Schema, string.Join("; ", schema.Validate(root, maxErrors: 3)), agentId);

            Passage? passage;
            try
            {
                passage = root.Deserialize<Passage>(strictOptions);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException)
            {
                // The schema admits a few values the contract types cannot hold (a leap second, 't' for 'T', 1.0 for an int).
                return Reject(RejectReason.Schema, $"does not fit the passage contract: {e.Message}", agentId);
            }
            if (passage is null) return Reject(RejectReason.Schema, "payload is null", agentId);
            return CheckSemantics(topic, passage, now);
        }
    }

    private PassageValidation CheckSemantics(string topic, Passage passage, DateTimeOffset now)
    {
        var agentId = passage.AgentId;
        if (!PassageTopic.TryParse(topic, out var parsed))
            return Reject(RejectReason.BadTopic, $"topic {Display.Quote(topic ?? "")} is not tunnel/v1/{{site}}/{{bore}}/{{entry|exit}}/passage", agentId);
        if (parsed.Site != passage.Site || parsed.Bore != passage.Bore || parsed.Portal != passage.Portal)
            return Reject(RejectReason.TopicMismatch,
                $"topic says {parsed.Site}/{parsed.Bore}/{TunnelJson.Name(parsed.Portal)}, payload says {passage.Site}/{passage.Bore}/{TunnelJson.Name(passage.Portal)}", agentId);

        if (!bores.TryGetValue(passage.Site, out var siteBores))
            return Reject(RejectReason.UnknownSite, $"site '{passage.Site}' is not configured", agentId);
        if (!siteBores.TryGetValue(passage.Bore, out var bore))
            return Reject(RejectReason.UnknownBore, $"bore '{passage.Site}/{passage.Bore}' is not configured", agentId);
        if (passage.Lane > bore.Lanes)
            return Reject(RejectReason.BadLane, $"lane {passage.Lane} but bore '{passage.Site}/{passage.Bore}' has {bore.Lanes}", agentId);

        if (passage.CapturedAt > now + Options.MaxClockSkew)
            return Reject(RejectReason.FutureTimestamp, $"capturedAt {Iso(passage.CapturedAt)} is more than {Options.MaxClockSkew} ahead of {Iso(now)}", agentId);
        if (passage.CapturedAt < now - Options.MaxAge)
            return Reject(RejectReason.StaleTimestamp, $"capturedAt {Iso(passage.CapturedAt)} is more than {Options.MaxAge} before {Iso(now)}", agentId);

        if (passage.Plate is { } plate)
        {
            if (PlateTextRule.Check(plate.Text) is { } why)
                return Reject(RejectReason.BadPlate, $"plate text {Display.Quote(plate.Text)} {why}", agentId);
            var characters = new StringInfo(plate.Text).LengthInTextElements;
            if (plate.CharConfidences is { } perChar && perChar.Count != characters)
                return Reject(RejectReason.BadPlate, $"{perChar.Count} charConfidences for the {characters} characters of {Display.Quote(plate.Text)}", agentId);
        }
        return new PassageValidation.Accepted(passage);
    }

    /// <summary>Best effort for payloads that do not parse: a well-formed top-level agentId seen before the damage.</summary>
    private static string? ScanAgentId(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 8 }));
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("agentId"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String) return null;
                    var id = reader.GetString();
                    return Identifiers.IsValid(id) ? id : null;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The damage came before any agentId.
        }
        return null;
    }

    private static PassageValidation.Rejected Reject(RejectReason reason, string message, string? agentId) =>
        new(reason, Clip(message), agentId);

    private static string Clip(string message) => message.Length <= MaxMessageChars ? message : message[..MaxMessageChars] + "…";

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static JsonSerializerOptions CreateStrictOptions()
    {
        var options = new JsonSerializerOptions(TunnelJson.Options) { PropertyNameCaseInsensitive = false };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
