using Tunnel.Core.Contracts;

namespace Tunnel.Central.Matching;

/// <summary>How a transit ended: not yet, by its plate, by a similar plate, by an unmatched exit that was most likely it, or given up on.</summary>
public enum ExitMatch { None, Exact, Fuzzy, Inferred, GivenUp }

/// <summary>One vehicle's trip through a bore: opened by its entry passage, closed by the exit that matched it.</summary>
public sealed class Transit
{
    public Transit(Passage entry)
    {
        EntryEventId = entry.EventId;
        Lane = entry.Lane;
        EnteredAt = entry.CapturedAt;
        Plate = entry.Plate;
        Class = entry.Vehicle.Class;
        Hazmat = entry.Vehicle.Hazmat;
    }

    public Guid EntryEventId { get; }
    public int Lane { get; }
    public DateTimeOffset EnteredAt { get; }
    public PlateRead? Plate { get; }
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

    /// <summary>How many vehicles had entered this lane when this one did: later entrants are the ones that could pass it.</summary>
    public long LaneEntryIndex { get; init; }

    public Guid? AlarmId { get; set; }
    public DateTimeOffset? AlarmRaisedAt { get; set; }

    /// <summary>Bumped whenever its evidence changes, so stale scheduler entries can be told apart.</summary>
    public int Version { get; set; }

    public TimeSpan Elapsed(DateTimeOffset now) => now - EnteredAt;

    public void Close(Passage exit, ExitMatch how)
    {
        Exit = exit;
        Match = how;
        Version++;
    }

    public void GiveUp()
    {
        Match = ExitMatch.GivenUp;
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
/// lanes) and of other lanes, entering well after it (order there would have held behind it, had it
/// changed into that lane). A few of each are plenty: the evidence saturates.
/// </summary>
public sealed class PassLog
{
    private const int Keep = 6;
    private readonly List<DateTimeOffset> _ownLane = [];
    private readonly List<DateTimeOffset> _otherLanes = [];

    public int OwnLane => _ownLane.Count;
    public int OtherLanes => _otherLanes.Count;

    public bool AddOwnLane(DateTimeOffset at) => Add(_ownLane, at);
    public bool AddOtherLane(DateTimeOffset at) => Add(_otherLanes, at);

    public int OwnLaneBefore(DateTimeOffset t) => _ownLane.Count(x => x < t);
    public int OtherLanesBefore(DateTimeOffset t) => _otherLanes.Count(x => x < t);

    private static bool Add(List<DateTimeOffset> list, DateTimeOffset at)
    {
        if (list.Count >= Keep) return false;
        list.Add(at);
        return true;
    }
}

/// <summary>An exit passage that matched no open transit by plate.</summary>
public sealed class OrphanExit(Passage exit)
{
    public Passage Passage { get; } = exit;
    public DateTimeOffset At => Passage.CapturedAt;
    public int Lane => Passage.Lane;
    public Transit? ClaimedBy { get; set; }
    /// <summary>It fitted a stopped vehicle as well as another: it explains neither any more.</summary>
    public bool Contested { get; set; }
}
