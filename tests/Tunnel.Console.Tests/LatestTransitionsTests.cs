using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Live;

namespace Tunnel.WebConsole.Tests;

public sealed class LatestTransitionsTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private static AlarmTransition Shelved(Guid id, DateTimeOffset at) => new()
    {
        AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.Shelved, Priority = AlarmPriority.High, Site = "maoliling", Bore = "north",
        Plate = "浙J12345", At = at, By = "op", Reason = "crew on site",
    };

    [Fact]
    public void A_transition_newer_than_the_snapshot_is_kept_though_the_snapshot_does_not_list_its_alarm_yet()
    {
        using var latest = new LatestTransitions(fixture.Host.Service, fixture.Host.Store);
        var snapshotAt = DateTimeOffset.UtcNow;
        var (newer, older) = (Guid.NewGuid(), Guid.NewGuid());
        latest.OnAlarm(Shelved(newer, snapshotAt.AddMilliseconds(300)));
        latest.OnAlarm(Shelved(older, snapshotAt.AddSeconds(-5)));

        // The snapshot was taken before the newer alarm was raised, and the older one closed without a transition seen here.
        latest.KeepOnly([], snapshotAt);

        Assert.Equal("crew on site", latest.Find(newer)?.Latest.Reason);
        Assert.Null(latest.Find(older));
        // A later snapshot that still does not list it: gone.
        latest.KeepOnly([], snapshotAt.AddSeconds(1));
        Assert.Null(latest.Find(newer));
    }
}
