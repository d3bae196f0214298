using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;

namespace Tunnel.Central.Matching;

/// <summary>
/// How a transit ended: by an exit passage (its plate exactly, nearly, or an unmatched exit inferred to be it), given up
/// after the longest a vehicle is tracked, or by an operator who saw it leave or found it gone.
/// </summary>
public enum ExitMatch { None, Exact, Fuzzy, Inferred, GivenUp, SeenLeaving }

/// <summary>One vehicle's trip through a bore: opened by its entry passage, closed by the exit that matched it.</summary>
public sealed class Transit
{
    public Transit(Passage entry)
    {
        EntryEventId = entry.EventId;
        Lane = entry.Lane;
        EnteredAt = entry.CapturedAt;
        Plate = entry.Plate;
        PlateCertainty = entry.Plate is { } plate ? PlateSimilarity.Certainties(plate) : null;
        Class = entry.Vehicle.Class;
        Hazmat = entry.Vehicle.Hazmat;
    }

    public Guid EntryEventId { get; }
    public int Lane { get; }
    public DateTimeOffset EnteredAt { get; }
    public PlateRead? Plate { get; }
    /// <summary><see cref="PlateSimilarity.Certainties"/> of <see cref="Plate"/>, once: the fuzzy search compares it with many exits.</summary>
    public double[]? PlateCertainty { get; }
    public VehicleClass Class { get; }
    public bool Hazmat { get; }

    /// <summary>The exit passage that closed it (kept so a wrong fuzzy match can be undone).</summary>
    public Passage? Exit { get; private set; }
    public Guid? ExitEventId => Exit?.EventId;
    public DateTimeOffset? ExitedAt => Exit?.CapturedAt;
    public int? ExitLane => Exit?.Lane;
    public ExitMatch Match { get; private set; }
    public bool IsOpen => Match == ExitMatch.None;

    /// <summary>Later entrants seen leaving while this transit was open: the lane-order evidence.</summary>
    public PassLog Passes { get; } = new();

    /// <summary>An unmatched exit that is this vehicle's most likely way out (an unread or badly misread exit plate).</summary>
    public OrphanExit? ProbableExit { get; set; }
    /// <summary>When the last vehicle ahead of it in its lane that kept the lane left (lanes are first in, first out).</summary>
    public DateTimeOffset AheadLeftAt { get; set; }
    /// <summary>When (UTC) another vehicle needing the same late exit passage was last looked for (see <c>BoreMonitor.Reweigh</c>); 8 bytes, not 16.</summary>
    public DateTime RivalLookedFor { get; set; }

    /// <summary>How many vehicles had entered this lane when this one did: later entrants are the ones that could pass it.</summary>
    public long LaneEntryIndex { get; init; }

    public Guid? AlarmId { get; set; }
    /// <summary>The alarm that names this vehicle as its second suspect, and the exit the two shared.</summary>
    public SharedAlarm? SecondSuspectOf { get; set; }
    public DateTimeOffset? AlarmRaisedAt { get; set; }

    /// <summary>Bumped whenever its evidence changes, so stale scheduler entries can be told apart.</summary>
    public int Version { get; set; }
    /// <summary>When the scheduler looks at it next.</summary>
    public DateTimeOffset DueAt { get; set; }
    /// <summary>
    /// At its last weighing, the surprise the clock alone still had to bring and the hold-up it counts
    /// from; NaN when the clock does not decide its next look.
    /// </summary>
    public (double Surprise, TimeSpan HeldBack) ClockNeeds { get; set; } = (double.NaN, TimeSpan.Zero);

    public TimeSpan Elapsed(DateTimeOffset now) => now - EnteredAt;

    public void Close(Passage exit, ExitMatch how)
    {
        Exit = exit;
        Match = how;
        Version++;
    }

    /// <summary>Ends it without an exit passage: <see cref="ExitMatch.GivenUp"/> or <see cref="ExitMatch.SeenLeaving"/>.</summary>
    public void GiveUp(ExitMatch how = ExitMatch.GivenUp)
    {
        Match = how;
        Version++;
    }

    public void Reopen()
    {
        Exit = null;
        Match = ExitMatch.None;
        Version++;
    }

    public override string ToString() => $"{Plate?.Text ?? "(unread)"} lane {Lane} in {EnteredAt:HH:mm:ss}";
}

/// <summary>
/// When later entrants left first: of its own lane (order there holds unless it stopped or changed
/// lanes) and of other lanes, entering after it (order there would have held behind it, had it
/// changed into that lane). A few of its own lane are plenty: the evidence saturates. Of other lanes
/// the latest few are kept, with when they entered: the later a passer entered and left, the further
/// in it must have overtaken.
/// </summary>
public sealed class PassLog
{
    public const int Keep = 6;
    // Arrays made on first use, oldest first: most vehicles are never passed, and these are read in
    // the innermost loops of every weighing, where a list's or a queue's enumerator would cost more.
    private DateTimeOffset[]? _ownLane;
    private Overtaker[]? _otherLanes;
    private int _ownCount;
    private int _otherCount;

    public int OwnLane => _ownCount;
    public int OtherLanes => _otherCount;
    public ReadOnlySpan<Overtaker> OtherLanePassers => _otherLanes.AsSpan(0, _otherCount);
    public ReadOnlySpan<DateTimeOffset> OwnLaneLeftTimes => _ownLane.AsSpan(0, _ownCount);

    public bool AddOwnLane(DateTimeOffset at)
    {
        if (_ownCount >= Keep) return false;
        (_ownLane ??= new DateTimeOffset[Keep])[_ownCount++] = at;
        return true;
    }

    public void AddOtherLane(DateTimeOffset entered, DateTimeOffset left)
    {
        _otherLanes ??= new Overtaker[Keep];
        if (_otherCount == Keep) Array.Copy(_otherLanes, 1, _otherLanes, 0, --_otherCount);
        _otherLanes[_otherCount++] = new Overtaker(entered, left);
    }

    public int OwnLaneBefore(DateTimeOffset t)
    {
        var n = 0;
        foreach (var left in OwnLaneLeftTimes) if (left < t) n++;
        return n;
    }
}

/// <summary>A vehicle of another lane that entered after a transit and left before it.</summary>
public readonly record struct Overtaker(DateTimeOffset EnteredAt, DateTimeOffset LeftAt);

/// <summary>An alarmed vehicle and the unmatched exit that fits it as well as its second suspect.</summary>
public sealed record SharedAlarm(Transit Alarmed, OrphanExit Exit);

/// <summary>An exit passage that matched no open transit by plate.</summary>
public sealed class OrphanExit(Passage exit)
{
    public Passage Passage { get; } = exit;
    /// <summary><see cref="PlateSimilarity.Certainties"/> of its plate, once: it is weighed against every vehicle inside.</summary>
    public double[]? PlateCertainty { get; } = exit.Plate is { } plate ? PlateSimilarity.Certainties(plate) : null;
    public DateTimeOffset At => Passage.CapturedAt;
    public int Lane => Passage.Lane;
    public Transit? ClaimedBy { get; set; }
}
