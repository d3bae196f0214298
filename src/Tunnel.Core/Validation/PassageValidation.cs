using Tunnel.Core.Contracts;

namespace Tunnel.Core.Validation;

/// <summary>The verdict on one incoming passage message: exactly one of <see cref="Accepted"/> or <see cref="Rejected"/>.</summary>
public abstract record PassageValidation
{
    private PassageValidation() { }

    public sealed record Accepted(Passage Passage) : PassageValidation;

    /// <param name="AgentId">The sender's agent id when the payload let us read a well-formed one, for per-agent counts and alerts.</param>
    /// <param name="Seq">
    /// The passage's sequence number when the payload let us read a well-formed one together with <paramref name="AgentId"/>
    /// (read the same way: from the parsed document, or from the intact part before the damage), so that the seq can count
    /// as handled and the agent's acknowledgement move past it. <c>null</c> when no agent id was read, when the seq was
    /// unreadable or ambiguous (a second <c>seq</c> or <c>agentId</c>), when the agent id does not belong to the topic's
    /// portal (with <see cref="PassageValidatorOptions.RequireConventionalAgentIds"/>: the broker vouches for the topic
    /// only, so another agent's seqs must not be closed from here), and always for <see cref="RejectReason.AgentMismatch"/>.
    /// </param>
    public sealed record Rejected(RejectReason Reason, string Message, string? AgentId, long? Seq = null) : PassageValidation
    {
        public string Code => Reason.Code();

        public override string ToString() => $"{Code}: {Message}";
    }
}
