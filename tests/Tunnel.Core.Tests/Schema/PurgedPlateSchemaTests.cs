using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Core.Schema;

namespace Tunnel.Core.Tests.Schema;

/// <summary>An alarm whose plates the retention period blanked (the store writes "") stays a valid <c>tunnel.alarm.v1</c>.</summary>
public class PurgedPlateSchemaTests
{
    private static readonly AlarmTransition Overdue = new()
    {
        AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.Closed, Priority = AlarmPriority.High,
        Site = "maoliling", Bore = "north", At = new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero), Plate = "浙J12345",
        Alternative = new AlarmAlternative("浙H77777", Guid.NewGuid(), 1, new DateTimeOffset(2026, 11, 2, 7, 58, 0, TimeSpan.Zero), VehicleClass.Car),
    };

    private static IReadOnlyList<SchemaError> Check(AlarmTransition alarm)
    {
        using var document = JsonDocument.Parse(TunnelJson.Serialize(alarm));
        return TunnelSchemas.Alarm.Validate(document.RootElement);
    }

    [Fact]
    public void A_purged_plate_and_a_purged_second_suspect_are_valid()
    {
        Assert.Empty(Check(Overdue with { Plate = "", Alternative = Overdue.Alternative! with { Plate = "" } }));
        Assert.Empty(Check(Overdue with { Plate = null }));
    }

    [Fact]
    public void A_one_character_plate_is_still_rejected()
    {
        Assert.Equal("/plate", Check(Overdue with { Plate = "浙" }).Single().Path);
        Assert.Equal("/alternative/plate", Check(Overdue with { Alternative = Overdue.Alternative! with { Plate = "J" } }).Single().Path);
    }
}
