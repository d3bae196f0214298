using Tunnel.Core.Contracts;

namespace Tunnel.Core.Validation;

/// <summary>The verdict on one incoming passage message: exactly one of <see cref="Accepted"/> or <see cref="Rejected"/>.</summary>
public abstract record PassageValidation
{
    private PassageValidation() { }

    public sealed record Accepted(Passage Passage) : PassageValidation;

    /// <param name="AgentId">The sender's agent id when the payload let us read a well-formed one, for per-agent counts and alerts.</param>
    public sealed record Rejected(RejectReason Reason, string Message, string? AgentId) : PassageValidation
    {
        public string Code => Reason.Code();

        public override string ToString() => $"{Code}: {Message}";
    }
}
