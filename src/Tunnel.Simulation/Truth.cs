using System.Text;
using System.Text.Json.Serialization;
using Tunnel.Core.Contracts;

namespace Tunnel.Simulation;

/// <summary>
/// What really happened in a simulated run (<c>truth.json</c>), with every vehicle in a companion JSON-lines file
/// (<see cref="VehiclesFile"/>, next to it). The evaluator judges alarms against this and nothing else.
/// </summary>
public sealed record SimulationTruth
{
    public const string SchemaId = "tunnel.sim-truth.v1";

    public string Schema { get; init; } = SchemaId;
    public required SimulationOptions Options { get; init; }
    /// <summary>Vehicles enter in [Start, End); the last one may leave later, at <see cref="LastExitAt"/>.</summary>
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public required DateTimeOffset LastExitAt { get; init; }
    public string VehiclesFile { get; init; } = "vehicles.jsonl";
    public required IReadOnlyList<BoreTruth> Bores { get; init; }

    [JsonIgnore]
    public IReadOnlyList<VehicleTruth> Vehicles { get; init; } = [];

    public IEnumerable<StopTruth> Stops => Bores.SelectMany(b => b.Stops);
    public IEnumerable<SlowdownTruth> Slowdowns => Bores.SelectMany(b => b.Slowdowns);

    /// <summary>Writes <paramref name="truthPath"/> and the vehicles file beside it.</summary>
    public void Write(string truthPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(truthPath))!;
        Directory.CreateDirectory(dir);
        File.WriteAllText(truthPath, System.Text.Json.JsonSerializer.Serialize(this, TunnelJson.Indented), new UTF8Encoding(false));
        using var writer = new StreamWriter(Path.Combine(dir, VehiclesFile), false, new UTF8Encoding(false));
        foreach (var v in Vehicles) writer.WriteLine(TunnelJson.Serialize(v));
    }

    /// <summary>Reads <paramref name="truthPath"/> and, if present, the vehicles file beside it.</summary>
    public static SimulationTruth Load(string truthPath)
    {
        var truth = TunnelJson.Deserialize<SimulationTruth>(File.ReadAllText(truthPath))
            ?? throw new InvalidDataException($"{truthPath} is empty");
        if (truth.Schema != SchemaId) throw new InvalidDataException($"{truthPath}: schema '{truth.Schema}', expected '{SchemaId}'");
        var vehiclesPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(truthPath))!, truth.VehiclesFile);
        if (!File.Exists(vehiclesPath)) return truth;
        var vehicles = File.ReadLines(vehiclesPath)
            .Where(line => line.Length > 0)
            .Select(line => TunnelJson.Deserialize<VehicleTruth>(line) ?? throw new InvalidDataException($"{vehiclesPath}: empty line"))
            .ToList();
        return truth with { Vehicles = vehicles };
    }
}

public sealed record BoreTruth
{
    public required string Site { get; init; }
    public required string Bore { get; init; }
    public required double LengthMeters { get; init; }
    public required int Lanes { get; init; }
    public required int Vehicles { get; init; }
    public required int LaneChanges { get; init; }
    public required int EntryUnread { get; init; }
    public required int ExitUnread { get; init; }
    /// <summary>Reads whose text differs from the true plate.</summary>
    public required int EntryMisread { get; init; }
    public required int ExitMisread { get; init; }
    public required int LatePassages { get; init; }
    public required IReadOnlyList<StopTruth> Stops { get; init; }
    public required IReadOnlyList<SlowdownTruth> Slowdowns { get; init; }
}

/// <summary>A vehicle that stood still inside the bore from <see cref="StoppedAt"/> to <see cref="ResumedAt"/>.</summary>
public sealed record StopTruth
{
    public required string Site { get; init; }
    public required string Bore { get; init; }
    public required int VehicleId { get; init; }
    public required string TruePlate { get; init; }
    public required Guid EntryEventId { get; init; }
    /// <summary>What the entry camera read (may be a misread); <c>null</c> when the entry plate was unread.</summary>
    public string? EntryPlateRead { get; init; }
    public required int Lane { get; init; }
    public required VehicleClass Class { get; init; }
    public required bool Hazmat { get; init; }
    public required DateTimeOffset EnteredAt { get; init; }
    public required DateTimeOffset StoppedAt { get; init; }
    public required DateTimeOffset ResumedAt { get; init; }
    public required DateTimeOffset ExitedAt { get; init; }
    public required double PositionMeters { get; init; }
    /// <summary>Vehicles of its lane that squeezed past it while it stood.</summary>
    public required int FollowersPassed { get; init; }
    /// <summary>
    /// The stop overlaps a slowdown or its aftermath, taking the stop as its first 5 minutes at most
    /// (a stop 5 minutes old when a slowdown begins should already have been alarmed): judged by the
    /// <c>congestion</c> alarm instead of the per-vehicle delay targets.
    /// </summary>
    public required bool JudgedByCongestion { get; init; }
}

public sealed record SlowdownTruth
{
    public required string Site { get; init; }
    public required string Bore { get; init; }
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    /// <summary>When the last vehicle that entered during the slowdown left (stopped vehicles excepted: a stop must not hide itself).</summary>
    public required DateTimeOffset AftermathUntil { get; init; }
    public required double SpeedKmh { get; init; }

    public bool Covers(DateTimeOffset at) => at >= From && at <= AftermathUntil;
}

/// <summary>One vehicle's true passage through a bore and what the cameras made of it (one line of <c>vehicles.jsonl</c>).</summary>
public sealed record VehicleTruth
{
    public required int Id { get; init; }
    public required string Site { get; init; }
    public required string Bore { get; init; }
    public required string Plate { get; init; }
    public required PlateColor PlateColor { get; init; }
    public required VehicleClass Class { get; init; }
    public required bool Hazmat { get; init; }
    public required double DesiredKmh { get; init; }
    public required int EntryLane { get; init; }
    public required int ExitLane { get; init; }
    public required DateTimeOffset EnteredAt { get; init; }
    public required DateTimeOffset ExitedAt { get; init; }
    public required Guid EntryEventId { get; init; }
    public required Guid ExitEventId { get; init; }
    public string? EntryRead { get; init; }
    public string? ExitRead { get; init; }
    public required DateTimeOffset EntryDeliveredAt { get; init; }
    public required DateTimeOffset ExitDeliveredAt { get; init; }
    public bool EntryLate { get; init; }
    public bool ExitLate { get; init; }
    public bool LaneChange { get; init; }
    public bool Stopped { get; init; }
    /// <summary>Time spent standing in a queue (behind a stopped vehicle, at a blocked entry, after a cut-in).</summary>
    public double StandstillSeconds { get; init; }

    public bool Inside(DateTimeOffset at) => at >= EnteredAt && at < ExitedAt;
}
