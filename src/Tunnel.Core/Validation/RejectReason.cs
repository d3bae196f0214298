using Tunnel.Core.Contracts;

namespace Tunnel.Core.Validation;

/// <summary>Why a passage was refused. Serialised kebab-case (<c>malformed-json</c>, ...) like every Tunnel enum.</summary>
public enum RejectReason
{
    /// <summary>Payload larger than <see cref="PassageValidatorOptions.MaxPayloadBytes"/>.</summary>
    Oversized,
    /// <summary>Not UTF-8, not JSON, trailing data, nested deeper than allowed, or a property name twice.</summary>
    MalformedJson,
    /// <summary>A <c>schema</c> id other than <c>tunnel.passage.v1</c> (another message type, or a version this service does not speak).</summary>
    WrongSchema,
    /// <summary>Fails the JSON Schema: missing field, wrong type, out of range, bad format.</summary>
    Schema,
    /// <summary>The topic is not <c>tunnel/v1/{site}/{bore}/{entry|exit}/passage</c>.</summary>
    BadTopic,
    /// <summary>Topic and payload disagree on site, bore or portal.</summary>
    TopicMismatch,
    UnknownSite,
    UnknownBore,
    /// <summary>Lane beyond the bore's configured lane count.</summary>
    BadLane,
    /// <summary>
    /// The agentId is not <c>{site}-{bore}-{portal}-{lane}</c> of the passage (with <see cref="PassageValidatorOptions.RequireConventionalAgentIds"/>):
    /// one agent publishing under another's identity, e.g. the two lane agents of a portal, which share a topic.
    /// </summary>
    AgentMismatch,
    /// <summary>No active camera at the passage's portal and lane: its camera was retired (the private broker also drops its login).</summary>
    RetiredCamera,
    /// <summary>capturedAt further ahead of the service clock than the allowed skew.</summary>
    FutureTimestamp,
    /// <summary>capturedAt older than the allowed age (outbox replays can be days old, not weeks).</summary>
    StaleTimestamp,
    /// <summary>Implausible plate text, or charConfidences not one per plate character.</summary>
    BadPlate,
    /// <summary>The validator itself failed. Never expected; exists so one poison message cannot stop ingest.</summary>
    InternalError,
}

public static class RejectReasons
{
    private static readonly string[] codes = Enum.GetValues<RejectReason>().Select(r => TunnelJson.Name(r)).ToArray();

    /// <summary>The wire/metric name of a reason: <c>malformed-json</c>, <c>topic-mismatch</c>, ...</summary>
    public static string Code(this RejectReason reason) => codes[(int)reason];

    public static IReadOnlyList<RejectReason> All { get; } = Enum.GetValues<RejectReason>();
}
