namespace Tunnel.Core.Contracts;

/// <summary>The MQTT topics of API v1 (see README, "MQTT API").</summary>
public static class Topics
{
    public const string AllPassages = "tunnel/v1/+/+/+/passage";
    public const string AllAgentStatus = "tunnel/v1/+/agents/+/status";
    public const string AllSnapshots = "tunnel/v1/+/+/+/snapshot/+";

    public static string Passage(string site, string bore, Portal portal) => Validation.PassageTopic.Format(site, bore, portal);
    public static string Alarms(string site) => $"tunnel/v1/{site}/alarms";
    public static string AgentStatus(string site, string agentId) => $"tunnel/v1/{site}/agents/{agentId}/status";
    /// <summary>The central service's end-to-end acknowledgement: everything up to this sequence number is stored.</summary>
    public static string AgentAck(string site, string agentId) => $"tunnel/v1/{site}/agents/{agentId}/ack";

    /// <summary>The JPEG of one passage, raw bytes, QoS 1, sent by the agent before the passage that names it.</summary>
    public static string Snapshot(string site, string bore, Portal portal, Guid eventId) =>
        $"tunnel/v1/{site}/{bore}/{TunnelJson.Name(portal)}/snapshot/{eventId:D}";

    /// <summary>The reference a passage carries in its <c>snapshot</c> field when its JPEG went by MQTT.</summary>
    public static string SnapshotReference(Guid eventId) => $"mqtt:snapshot/{eventId:D}";

    public static bool IsSnapshot(string topic, out SnapshotTopic snapshot)
    {
        var parts = topic.Split('/');
        var ok = parts is ["tunnel", "v1", _, _, _, "snapshot", _] && Guid.TryParse(parts[6], out _);
        snapshot = ok ? new SnapshotTopic(parts[2], parts[3], parts[4], Guid.Parse(parts[6])) : default;
        return ok;
    }

    public static bool IsAgentStatus(string topic, out string site, out string agentId)
    {
        var parts = topic.Split('/');
        var ok = parts is ["tunnel", "v1", _, "agents", _, "status"];
        (site, agentId) = ok ? (parts[2], parts[4]) : ("", "");
        return ok;
    }
}

/// <summary>Payload of <see cref="Topics.AgentAck"/> (schema <c>tunnel.ack.v1</c>).</summary>
public sealed record AgentAck
{
    public const string SchemaId = "tunnel.ack.v1";
    public string Schema { get; init; } = SchemaId;
    public required string AgentId { get; init; }
    /// <summary>Every passage of this agent with a sequence number up to and including this one is stored.</summary>
    public required long StoredThroughSeq { get; init; }
    /// <summary>
    /// The highest sequence number of this agent stored, beyond <see cref="StoredThroughSeq"/> when some between are
    /// missing: an agent whose outbox file was replaced numbers after it, so no new passage shares a number with a stored one.
    /// </summary>
    public long? HighestSeq { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>Payload of <see cref="Topics.AgentStatus"/> (schema <c>tunnel.agent-status.v1</c>), retained; the last will says offline.</summary>
public sealed record AgentStatus
{
    public const string SchemaId = "tunnel.agent-status.v1";
    public string Schema { get; init; } = SchemaId;
    public required string AgentId { get; init; }
    public required bool Online { get; init; }
    public string? Site { get; init; }
    public string? Bore { get; init; }
    public Portal? Portal { get; init; }
    public int? Lane { get; init; }
    public double? Fps { get; init; }
    public long? QueueDepth { get; init; }
    public double? ClockOffsetMs { get; init; }
    public string? LastError { get; init; }
    /// <summary>
    /// Offline because it was stopped on purpose (a clean shutdown, maintenance), not lost: the portal is
    /// blind all the same, but nobody needs to be called out for it.
    /// </summary>
    public bool? Stopped { get; init; }
    public DateTimeOffset? At { get; init; }
    /// <summary>
    /// The highest sequence number the agent has given a passage. Sent after the passages before it on the same
    /// connection, so one the central service has not received is late (lost on the way, waiting for its resend).
    /// </summary>
    public long? LastSeq { get; init; }
    /// <summary>
    /// The agent holds no passage numbered at or below this: the central service acknowledged them, or they belong to an
    /// earlier outbox file its numbers continue after. The service stops waiting for any of them it never stored.
    /// </summary>
    public long? ConfirmedThrough { get; init; }
}

/// <summary>Where a snapshot was published: its portal's levels as the topic names them (not yet checked), and its passage's event id.</summary>
public readonly record struct SnapshotTopic(string Site, string Bore, string Portal, Guid EventId);
