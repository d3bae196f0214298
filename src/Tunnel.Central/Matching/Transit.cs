using Tunnel.Core.Contracts;

namespace Tunnel.Central.Matching;

public enum ExitMatch { None, Exact, Fuzzy, Inferred }

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

    /// <summary>Later entrants of this lane seen leaving while this transit was open: the lane-order evidence.</summary>
    public List<Overtake> Overtakes { get; } = [];

    /// <summary>An unmatched exit that is this vehicle's most likely way out (an unread or badly misread exit plate).</summary>
    public OrphanExit? ProbableExit { get; set; }

    /// <summary>How many vehicles had entered this lane when this one did: later entrants are the ones that could pass it.</summary>
    public long LaneEntryIndex { get; set; }

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

    public void Reopen()
    {
        Exit = null;
        Match = ExitMatch.None;
        Version++;
    }

    public override string ToString() => $"{Plate?.Text ?? "(unread)"} lane {Lane} in {EnteredAt:HH:mm:ss}";
}

public readonly record struct Overtake(DateTimeOffset ExitedAt, bool SameLane, Guid By);

/// <summary>An exit passage that matched no open transit by plate.</summary>
public sealed class OrphanExit(Passage exit)
{
    public Passage Passage { get; } = exit;
    public DateTimeOffset At => Passage.CapturedAt;
    public int Lane => Passage.Lane;
    public Transit? ClaimedBy { get; set; }
}
