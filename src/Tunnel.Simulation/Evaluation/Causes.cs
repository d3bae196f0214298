using Tunnel.Core.Contracts;

namespace Tunnel.Simulation.Evaluation;

/// <summary>Why an overdue alarm for a vehicle that was not stopped may have been raised, as far as the truth tells.</summary>
internal static class Causes
{
    public static string Explain(AlarmRaise alarm, VehicleTruth? v, StopTruth? stop)
    {
        if (v is null) return "no such vehicle: entry event id and plate match nothing in the truth";
        if (alarm.At < v.EnteredAt) return "raised before the vehicle entered";
        var reasons = new List<string>();
        if (alarm.At >= v.ExitedAt)
        {
            if (stop is not null) reasons.Add("the stopped vehicle had already left");
            if (v.ExitRead is null) reasons.Add("exit plate unread");
            else if (v.ExitRead != v.Plate) reasons.Add($"exit plate misread as {v.ExitRead}");
            if (v.EntryRead is { } entry && entry != v.Plate) reasons.Add($"entry plate misread as {entry}");
            if (v.ExitLate && alarm.At < v.ExitDeliveredAt) reasons.Add($"exit passage delivered {(v.ExitDeliveredAt - v.ExitedAt).TotalSeconds:F0} s late, after the alarm");
            if (v.ExitLane != v.EntryLane) reasons.Add($"changed lanes (entered lane {v.EntryLane}, left lane {v.ExitLane})");
            if (reasons.Count == 0) reasons.Add("exit read correctly and delivered on time");
            return $"after exit (+{(alarm.At - v.ExitedAt).TotalSeconds:F0} s): {string.Join("; ", reasons)}";
        }
        if (stop is not null) reasons.Add($"its stop began only {(stop.StoppedAt - alarm.At).TotalSeconds:F0} s later");
        if (v.StandstillSeconds > 0) reasons.Add($"held up in a queue ({v.StandstillSeconds:F0} s standing)");
        if (v.ExitLane != v.EntryLane) reasons.Add("changed lanes illegally (out of its lane's order)");
        if (v.DesiredKmh is > 0 and < 60) reasons.Add($"slow driver ({v.DesiredKmh:F0} km/h)");
        if (v.EntryRead is { } read && read != v.Plate) reasons.Add($"entry plate misread as {read}");
        if (reasons.Count == 0) reasons.Add("driving normally");
        return $"inside, moving ({(alarm.At - v.EnteredAt).TotalSeconds:F0} s after entry, transit {(v.ExitedAt - v.EnteredAt).TotalSeconds:F0} s" +
               $"{(v.Class == VehicleClass.Unknown ? "" : ", " + TunnelJson.Name(v.Class))}): {string.Join("; ", reasons)}";
    }
}
