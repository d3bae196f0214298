namespace Tunnel.Core.Contracts;

/// <summary>
/// One vehicle seen at one portal: the unit an edge agent publishes on
/// <c>tunnel/v1/{site}/{bore}/{portal}/passage</c> (schema <c>tunnel.passage.v1</c>).
/// </summary>
public sealed record Passage
{
    public const string SchemaId = "tunnel.passage.v1";

    public string Schema { get; init; } = SchemaId;
    public required Guid EventId { get; init; }
    public required string AgentId { get; init; }
    public required long Seq { get; init; }
    public required string Site { get; init; }
    public required string Bore { get; init; }
    public required Portal Portal { get; init; }
    public required int Lane { get; init; }
    public required string CameraId { get; init; }
    public required DateTimeOffset CapturedAt { get; init; }
    /// <summary><c>null</c> when the camera saw a vehicle but read no plate.</summary>
    public PlateRead? Plate { get; init; }
    public required VehicleRead Vehicle { get; init; }
    public string? Snapshot { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public BoreKey BoreKey => new(Site, Bore);
}

public sealed record PlateRead
{
    public required string Text { get; init; }
    public PlateColor Color { get; init; } = PlateColor.Unknown;
    public double Confidence { get; init; } = 1.0;
    /// <summary>One confidence per character of <see cref="Text"/> (text elements, so 浙 counts once).</summary>
    public IReadOnlyList<double>? CharConfidences { get; init; }
}

public sealed record VehicleRead
{
    public VehicleClass Class { get; init; } = VehicleClass.Unknown;
    public double Confidence { get; init; }
    public bool Hazmat { get; init; }
    public double HazmatConfidence { get; init; }
}

/// <summary>A tunnel bore is the unit of matching: entries and exits of one bore only ever match each other.</summary>
public readonly record struct BoreKey(string Site, string Bore)
{
    public override string ToString() => $"{Site}/{Bore}";
}
