using System.Globalization;
using Tunnel.Core.Contracts;

namespace Tunnel.Core.Tests.Contracts;

/// <summary>
/// Every reason code says in English what the central service has always written (the sentences are
/// compared across versions in the replay output), and carries the figures of that sentence as arguments.
/// </summary>
public sealed class AlarmReasonTests
{
    // Beijing time: a clock time is the vehicle's own, as captured; its instant beside it is in UTC.
    private static readonly DateTimeOffset At = new(2026, 11, 2, 8, 15, 42, 900, TimeSpan.FromHours(8));

    private static readonly Dictionary<string, Func<AlarmReason>> Make = new()
    {
        ["overtaken"] = () => AlarmReason.Overtaken(2, 1, 5, TimeSpan.FromSeconds(270), TimeSpan.FromSeconds(162), 9.34),
        ["time, under a minute"] = () => AlarmReason.OverTime(TimeSpan.FromSeconds(38.4), TimeSpan.FromSeconds(162), 11),
        ["congestion"] = () => AlarmReason.Congestion(12, 30, TimeSpan.FromMinutes(20)),
        ["congestion cleared"] = AlarmReason.CongestionCleared,
        ["crawling"] = () => AlarmReason.Crawling(40, 120, TimeSpan.FromMinutes(20), 3),
        ["retracted"] = () => AlarmReason.Retracted(At),
        ["left"] = () => AlarmReason.Left(At, 2),
        ["escalated"] = () => AlarmReason.Escalated(TimeSpan.FromMinutes(30.5)),
        ["untracked"] = () => AlarmReason.Untracked(TimeSpan.FromHours(12)),
        ["agent offline"] = () => AlarmReason.AgentOffline("maoliling-north-exit-1"),
        ["agent offline with an error"] = () => AlarmReason.AgentOfflineError("maoliling-north-exit-1", "camera stream lost"),
        ["agent online"] = () => AlarmReason.AgentOnline("maoliling-north-exit-1"),
        ["agent stopped"] = () => AlarmReason.AgentStopped("maoliling-north-exit-1"),
        ["left while down"] = AlarmReason.LeftWhileDown,
        ["shelf expired"] = AlarmReason.ShelfExpired,
        ["second suspect"] = () => AlarmReason.SecondSuspect(2, At),
        ["other suspect left"] = () => AlarmReason.OtherSuspectLeft(At.AddMinutes(14).AddSeconds(18), At),
        ["shelved"] = () => AlarmReason.Shelved("tow truck on its way, 拖车已出发"),
    };

    [Theory]
    [InlineData("overtaken", "overdue-overtaken", "2 later entrant(s) of lane 1 and 5 of other lanes already left; inside 4.5 min (usual 2.7 min); evidence 9.3",
        "own=2 lane=1 other=5 insideDuration=270 usualDuration=162 evidence=9.3")]
    [InlineData("time, under a minute", "overdue-time", "inside 38 s, usual transit 2.7 min; evidence 11.0", "insideDuration=38 usualDuration=162 evidence=11.0")]
    [InlineData("congestion", "congestion", "12 of 30 vehicles that entered in the last 20 min are far slower than usual", "slow=12 recent=30 windowDuration=1200")]
    [InlineData("crawling", "congestion-crawl", "in every lane, 40 of 120 vehicles that entered in the last 20 min have been inside over 3 times the transit at the speed limit",
        "slow=40 recent=120 windowDuration=1200 factor=3")]
    [InlineData("congestion cleared", "congestion-cleared", "traffic in the bore is back to its usual speed", "")]
    [InlineData("retracted", "retracted", "retracted: a late passage shows it left at 08:15:42, before the alarm", "time=08:15:42 timeAt=2026-11-02T00:15:42.900Z")]
    [InlineData("left", "left", "left the bore at 08:15:42 by lane 2", "time=08:15:42 timeAt=2026-11-02T00:15:42.900Z lane=2")]
    // 30.5 min rounds to even, as the sentence always did.
    [InlineData("escalated", "escalated", "still inside 30 min after entry", "insideDuration=1800")]
    [InlineData("untracked", "untracked", "no longer tracked after 12 h inside", "trackedDuration=43200")]
    [InlineData("agent offline", "agent-offline", "agent maoliling-north-exit-1 offline", "agent=maoliling-north-exit-1")]
    [InlineData("agent offline with an error", "agent-offline-error", "agent maoliling-north-exit-1 offline: camera stream lost",
        "agent=maoliling-north-exit-1 error=camera stream lost")]
    [InlineData("agent online", "agent-online", "agent maoliling-north-exit-1 back online", "agent=maoliling-north-exit-1")]
    [InlineData("agent stopped", "agent-stopped", "agent maoliling-north-exit-1 stopped", "agent=maoliling-north-exit-1")]
    [InlineData("left while down", "left-while-down", "the vehicle left while the central service was down", "")]
    [InlineData("shelf expired", "shelf-expired", "shelf expired", "")]
    [InlineData("second suspect", "second-suspect", "a second vehicle, of lane 2, may be the one inside: the unread exit at 08:15:42 fits both", "lane=2 time=08:15:42 timeAt=2026-11-02T00:15:42.900Z")]
    [InlineData("other suspect left", "other-suspect-left", "the other suspect left at 08:30:00, so this vehicle left unseen at 08:15:42", "time=08:30:00 timeAt=2026-11-02T00:30:00.900Z unseen=08:15:42 unseenAt=2026-11-02T00:15:42.900Z")]
    [InlineData("shelved", "shelved", "tow truck on its way, 拖车已出发", "")]
    public void Each_code_says_the_english_sentence_of_before_and_carries_its_figures_in_order(string name, string code, string text, string args)
    {
        var reason = Make[name]();
        Assert.Equal(code, reason.Code);
        Assert.Equal(text, reason.Text);
        Assert.Equal(args, string.Join(' ', reason.Args.Select(a => $"{a.Key}={a.Value}")));
    }

    [Fact]
    public void Neither_sentence_nor_arguments_follow_the_process_culture()
    {
        var expected = Make.ToDictionary(m => m.Key, m => m.Value());
        // A decimal comma, and clock times written 08.15.42.
        var culture = (CultureInfo)CultureInfo.GetCultureInfo("de-DE").Clone();
        culture.DateTimeFormat.TimeSeparator = ".";
        var before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = culture;
            foreach (var (name, make) in Make)
            {
                var reason = make();
                Assert.Equal(expected[name].Text, reason.Text);
                Assert.Equal(expected[name].Args, reason.Args);
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Theory]
    [InlineData(266.96, "4.4 min", "264")] // 4.449 min: the sentence says 4.4, and so do the seconds
    [InlineData(59.6, "60 s", "60")]       // under a minute, rounded up to one: still said in seconds
    [InlineData(60, "1.0 min", "60")]
    public void A_duration_in_seconds_is_the_amount_the_sentence_states(double seconds, string said, string argument)
    {
        var reason = AlarmReason.OverTime(TimeSpan.FromSeconds(seconds), TimeSpan.FromMinutes(3), 9);
        Assert.StartsWith($"inside {said}, ", reason.Text, StringComparison.Ordinal);
        Assert.Equal(argument, reason.Args["insideDuration"]);
    }

    [Fact]
    public void A_transition_takes_sentence_code_and_arguments_together_and_leaves_out_arguments_there_are_none_of()
    {
        var bare = new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ClearedUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", At = At,
        };
        var left = bare.WithReason(AlarmReason.Left(At, 2));
        Assert.Equal(("left the bore at 08:15:42 by lane 2", "left"), (left.Reason, left.ReasonCode));
        Assert.Equal("2", left.ReasonArgs?["lane"]);
        var json = TunnelJson.Serialize(left);
        Assert.EndsWith("""
            "reason":"left the bore at 08:15:42 by lane 2","reasonCode":"left","reasonArgs":{"time":"08:15:42","timeAt":"2026-11-02T00:15:42.900Z","lane":"2"}}
            """, json, StringComparison.Ordinal);
        var read = TunnelJson.Deserialize<AlarmTransition>(json)!;
        Assert.Equal(left.ReasonArgs, read.ReasonArgs);

        var expired = bare.WithReason(AlarmReason.ShelfExpired());
        Assert.Null(expired.ReasonArgs);
        Assert.DoesNotContain("reasonArgs", TunnelJson.Serialize(expired), StringComparison.Ordinal);
        // Written before codes: no code, no arguments, and it still reads.
        var old = TunnelJson.Deserialize<AlarmTransition>(TunnelJson.Serialize(bare with { Reason = "left the bore at 08:15:42 by lane 2" }))!;
        Assert.Equal((null, null), (old.ReasonCode, old.ReasonArgs));
    }
}
