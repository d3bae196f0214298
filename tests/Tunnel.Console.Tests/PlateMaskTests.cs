using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.WebConsole.Speech;
using Tunnel.WebConsole.Views;

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

    [Theory]
    [InlineData("浙J12345 司机已联系", "浙J1***5 司机已联系")]
    [InlineData("plate J12345 read without its province", "plate J12**5 read without its province")]
    [InlineData("WJ浙12345", "WJ浙****5")]
    [InlineData("使123456", "使12***6")]
    [InlineData("lower-case 浙j12345 was refused", "lower-case 浙j1***5 was refused")]
    [InlineData("司机电话13812345678", "司机电话138*******8")]
    [InlineData("reached 138 1234 5678 at last", "reached 138*********8 at last")]
    [InlineData("电话 138-1234-5678", "电话 138*********8")]
    [InlineData("call +86 138 1234 5678", "call +86*************8")]
    [InlineData("office 0571-8888 7777", "office 057**********7")]
    [InlineData("粤B12345挂 towed", "粤B1****挂 towed")]
    [InlineData("粤B·12345 已拖走", "粤B·****5 已拖走")]
    [InlineData("粤B 12345 towed", "粤B ****5 towed")]
    public void Free_text_masks_every_form_of_plate_an_agent_may_send_and_phone_numbers(string text, string masked) =>
        Assert.Equal(masked, PlateMask.InText(text, visible: false));

    [Theory]
    [InlineData("inside 230 s, expected 190 s; lane 1")]
    [InlineData("event 8ca3acf1-d42e-4607-86fe-c38a47be5965 at 2026-11-02T08:15:42.123Z")]
    [InlineData("maoliling-north-entry-1 on cam-north-exit-1, seq 1042")]
    [InlineData("Overdue alarm raised")]
    [InlineData("towed at 2026-11-24 06:00, seen 350 400 m in")]
    public void Free_text_without_plates_is_left_as_it_is(string text) =>
        Assert.Equal(text, PlateMask.InText(text, visible: false));

    [Fact]
    public void A_rejected_payload_shows_masked_plates_and_everything_else_as_sent()
    {
        const string payload = """{"schema":"tunnel.passage.v1","eventId":"8ca3acf1-d42e-4607-86fe-c38a47be5965","seq":104200,"capturedAt":"2026-11-02T08:15:42.123Z","plate":{"text":"j1234","color":"blue"},"snapshot":"entry of 浙A12345"}""";
        var shown = PlateMask.InPayload(payload, visible: false)!;
        Assert.Contains("\"eventId\":\"8ca3acf1-d42e-4607-86fe-c38a47be5965\"", shown);
        Assert.Contains("\"seq\":104200", shown);
        Assert.Contains("\"capturedAt\":\"2026-11-02T08:15:42.123Z\"", shown);
        Assert.Contains("\"text\":\"j12*4\"", shown);
        Assert.Contains("\"color\":\"b***\"", shown); // under "plate": masked whole, whatever it is
        Assert.Contains("entry of 浙A1***5", shown);
        Assert.DoesNotContain("j1234", shown);
        Assert.Equal(payload, PlateMask.InPayload(payload, visible: true));
        // Not JSON: no structure tells the plate from the rest, so a role without the grant sees none of it.
        Assert.Null(PlateMask.InPayload("plate=浙J12345&garbage", visible: false));
        // A repeated key is no JSON the parser takes either (it throws another exception than malformed text does).
        Assert.Null(PlateMask.InPayload("""{"plate":"粤B12345","plate":"x"}""", visible: false));
    }

    [Fact]
    public void An_operators_note_and_shelve_reason_are_masked_for_roles_without_the_grant()
    {
        var alarm = new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.Shelved, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = "浙J12345", At = DateTimeOffset.UnixEpoch,
            Reason = "浙J12345 towed by the patrol", Note = "driver 13812345678", By = "op",
            ReasonCode = "shelved", ReasonArgs = new Dictionary<string, string> { ["reason"] = "浙J12345 towed by the patrol" },
        };
        var hidden = WallProjection.Of(alarm, plates: false);
        Assert.Equal("浙J1***5 towed by the patrol", hidden.Reason);
        Assert.Equal("driver 138*******8", hidden.Note);
        // The page words a coded reason from its arguments: the shelve's text there is masked too.
        Assert.Equal("浙J1***5 towed by the patrol", hidden.ReasonArgs!["reason"]);
        Assert.Equal("浙J12345 towed by the patrol", WallProjection.Of(alarm, plates: true).ReasonArgs!["reason"]);
        var shown = WallProjection.Of(alarm, plates: true);
        Assert.Equal(alarm.Reason, shown.Reason);
        Assert.Equal(alarm.Note, shown.Note);
    }

    private static readonly SitesFile One = SitesFile.Maoliling;

    [Fact]
    public void An_alarm_is_announced_with_both_suspects_plates_and_without_any_plate_to_a_role_that_may_not_see_them()
    {
        var overdue = new Tunnel.Central.Service.AlarmView(Guid.NewGuid(), AlarmKind.Overdue, AlarmState.ActiveUnacknowledged, AlarmPriority.High,
            new BoreKey("maoliling", "north"), "浙J31001", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, VehicleClass.Car, false, null, null,
            new AlarmAlternative("浙H31002", Guid.NewGuid(), 1, DateTimeOffset.UnixEpoch, VehicleClass.Van));
        Assert.Equal("北洞 浙J31001 或 浙H31002 车辆超时", SpeechService.Announcement(overdue, plates: true, One));
        Assert.Equal("北洞 车辆超时", SpeechService.Announcement(overdue, plates: false, One));
        Assert.Equal("北洞 未识别车牌 车辆超时", SpeechService.Announcement(overdue with { Plate = null, SecondSuspect = null }, plates: true, One));
        Assert.Equal("南洞 隧道拥堵", SpeechService.Announcement(overdue with { Kind = AlarmKind.Congestion, Bore = new BoreKey("maoliling", "south") }, plates: true, One));
        Assert.Equal("east 2 相机离线", SpeechService.Announcement(overdue with { Kind = AlarmKind.AgentOffline, Bore = new BoreKey("maoliling", "east-2") }, plates: true, One));
        Assert.True(SpeechService.IsSpeakable(SpeechService.Announcement(overdue, plates: true, One)));
        // Where the control room watches two tunnels, each with a north bore, the alarm's is named (its id without a
        // name); a name that cannot be spoken is left out.
        SitesFile Two(string? name) => One with { Sites = [One.Sites[0] with { Name = name }, One.Sites[0] with { Id = "xiaoshan", Name = "萧山隧道" }] };
        Assert.Equal("猫狸岭隧道 北洞 车辆超时", SpeechService.Announcement(overdue, plates: false, Two("猫狸岭隧道")));
        Assert.Equal("萧山隧道 北洞 车辆超时", SpeechService.Announcement(overdue with { Bore = new BoreKey("xiaoshan", "north") }, plates: false, Two(null)));
        Assert.Equal("maoliling 北洞 车辆超时", SpeechService.Announcement(overdue, plates: false, Two(null)));
        Assert.Equal("北洞 车辆超时", SpeechService.Announcement(overdue, plates: false, Two("Tunnel <1>")));
    }

    [Fact]
    public void Speech_reads_plates_character_by_character()
    {
        Assert.Equal("北洞 浙 J 1 2 3 4 5 车辆超时", SpeechService.Normalise("北洞 浙J12345 车辆超时"));
        Assert.False(SpeechService.IsSpeakable("浙J1***5"));
        Assert.False(SpeechService.IsSpeakable("-v en"));
    }
}
