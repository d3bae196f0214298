using Tunnel.Core.Contracts;

namespace Tunnel.Central.Alarms;

/// <summary>One alarm's current state; its history lives in the transitions it emitted.</summary>
public sealed class Alarm
{
    public required Guid Id { get; init; }
    public required AlarmKind Kind { get; init; }
    public required BoreKey Bore { get; init; }
    public required AlarmPriority Priority { get; set; }
    public required AlarmState State { get; set; }
    /// <summary>When it was first raised: a rebuild keeps the stored moment, not its own replay's.</summary>
    public required DateTimeOffset RaisedAt { get; set; }
    /// <summary>Whether what raised it is still true (the vehicle is still inside, the bore still slow).</summary>
    public bool ConditionActive { get; set; } = true;
    public DateTimeOffset? ShelvedUntil { get; set; }
    /// <summary>
    /// The state it was shelved from, while shelved: an operator who lifts the shelf gets the alarm back as acknowledged as it
    /// was. A restart reads it from the stored transitions.
    /// </summary>
    public AlarmState? ShelvedFrom { get; set; }
    /// <summary>The transition that raised it: carries the vehicle context every later transition repeats (a second suspect may join it).</summary>
    public required AlarmTransition Raised { get; set; }

    public bool IsClosed => State == AlarmState.Closed;
}
