namespace Tunnel.Core.Validation;

public sealed record PassageValidatorOptions
{
    /// <summary>A passage is well under 1 KiB; the cap bounds what a broken or hostile sender can make us parse.</summary>
    public int MaxPayloadBytes { get; init; } = 64 * 1024;

    /// <summary>A passage nests 3 deep; anything much deeper is garbage and costs stack and time.</summary>
    public int MaxJsonDepth { get; init; } = 16;

    /// <summary>How far capturedAt may be ahead of the service clock (edge clocks drift).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How old capturedAt may be: an agent replaying its outbox after an outage can be days behind.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Whether a passage's agentId must be <c>{site}-{bore}-{portal}-{lane}</c> of the passage itself (portal kebab-case,
    /// see <see cref="PassageValidator.ConventionalAgentId"/>), as the embedded deployment names its agents. The broker
    /// lets an agent publish only under its own portal's topic, which both lane agents share; this check is what keeps
    /// one from publishing, and having its seqs acknowledged, under the other's identity.
    /// </summary>
    public bool RequireConventionalAgentIds { get; init; } = true;

    public static PassageValidatorOptions Default { get; } = new();
}
