using Tunnel.Core.Contracts;

namespace Tunnel.Storage.Tests;

public static class TestData
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public static Passage Passage(string agent, long seq, string? plate, DateTimeOffset capturedAt,
        Portal portal = Portal.Entry, string bore = "north", Guid? eventId = null, bool hazmat = false) => new()
    {
        EventId = eventId ?? Guid.NewGuid(),
        AgentId = agent,
        Seq = seq,
        Site = "maoliling",
        Bore = bore,
        Portal = portal,
        Lane = (int)(seq % 2) + 1,
        CameraId = $"{bore}-{(portal == Portal.Entry ? "in" : "out")}-1",
        CapturedAt = capturedAt,
        Plate = plate is null ? null : new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.93, CharConfidences = [.. plate.Select(_ => 0.9)] },
        Vehicle = new VehicleRead { Class = hazmat ? VehicleClass.Truck : VehicleClass.Car, Confidence = 0.8, Hazmat = hazmat, HazmatConfidence = hazmat ? 0.7 : 0.01 },
        Snapshot = "snapshots/abc.jpg",
    };

    public static IReadOnlyList<(Passage, DateTimeOffset)> Received(params Passage[] passages) =>
        [.. passages.Select(p => (p, p.CapturedAt.AddMilliseconds(150)))];

    public static IReadOnlyList<(Passage, DateTimeOffset)> Seqs(string agent, params long[] seqs) =>
        Received([.. seqs.Select(s => Passage(agent, s, $"浙A{s:D5}", T0.AddSeconds(s)))]);

    public static AlarmTransition Alarm(Guid id, AlarmState state, DateTimeOffset at, string? plate = "浙A12345", string? by = null, string? note = null) => new()
    {
        AlarmId = id,
        Kind = AlarmKind.Overdue,
        State = state,
        Priority = AlarmPriority.High,
        Site = "maoliling",
        Bore = "north",
        Plate = plate,
        At = at,
        EntryEventId = Guid.NewGuid(),
        Lane = 1,
        ElapsedSeconds = 412.5,
        VehicleClass = VehicleClass.Car,
        By = by,
        Note = note,
    };

    public static TransitRecord Transit(Guid entry, string? plate, DateTimeOffset enteredAt) => new()
    {
        EntryEventId = entry,
        Site = "maoliling",
        Bore = "north",
        Lane = 2,
        Plate = plate,
        PlateColor = plate is null ? null : PlateColor.Blue,
        VehicleClass = VehicleClass.Car,
        EnteredAt = enteredAt,
        Status = "open",
    };

    public static string Json<T>(T value) => TunnelJson.Serialize(value);
}
