using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;
using Tunnel.WebConsole.Speech;

namespace Tunnel.WebConsole.Tests;

public sealed class PlateMaskTests
{
    [Theory]
    [InlineData("浙J12345", "浙J1***5")]
    [InlineData("浙JD12345", "浙JD****5")]
    [InlineData("J12", "J**")]
    public void Plates_keep_their_first_three_and_last_character(string plate, string masked) =>
        Assert.Equal(masked, PlateMask.Apply(plate, visible: false));

    [Fact]
    public void Visible_and_unread_plates_are_unchanged()
    {
        Assert.Equal("浙J12345", PlateMask.Apply("浙J12345", visible: true));
        Assert.Null(PlateMask.Apply(null, visible: false));
    }

    [Fact]
    public void An_alarm_second_suspect_plate_is_masked_like_the_first()
    {
        var alarm = new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = "浙J12345", At = DateTimeOffset.UnixEpoch,
            Alternative = new AlarmAlternative("浙H77777", Guid.NewGuid(), 1, DateTimeOffset.UnixEpoch, VehicleClass.Van),
        };
        var hidden = WallProjection.Of(alarm, plates: false);
        Assert.Equal("浙J1***5", hidden.Plate);
        Assert.Equal("浙H7***7", hidden.SecondSuspect?.Plate);
        Assert.Equal("van", hidden.SecondSuspect?.VehicleClass);
        Assert.Equal("浙H77777", WallProjection.Of(alarm, plates: true).SecondSuspect?.Plate);
        Assert.Null(WallProjection.Of(alarm with { Alternative = null }, plates: true).SecondSuspect);
    }

    [Fact]
    public void Speech_reads_plates_character_by_character()
    {
        Assert.Equal("北洞 浙 J 1 2 3 4 5 车辆超时", SpeechService.Normalise("北洞 浙J12345 车辆超时"));
        Assert.False(SpeechService.IsSpeakable("浙J1***5"));
        Assert.False(SpeechService.IsSpeakable("-v en"));
    }
}
