using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

/// <summary>The snapshot rule on its own, over a real snapshot folder and the service's clock as the turn gives it.</summary>
public sealed class SnapshotIntakeRuleTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    // Maoliling's bores have two lanes.
    private const int Room = 2 * SnapshotIntake.UnclaimedPerLane;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tunnel-snapshot-intake-");
    private readonly SnapshotStore _store;
    private readonly SnapshotIntake _intake;

    public SnapshotIntakeRuleTests()
    {
        _store = new SnapshotStore(_dir.FullName, TimeProvider.System);
        _intake = new SnapshotIntake(_store);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private static byte[] Jpeg(int n)
    {
        var jpeg = new byte[64];
        BitConverter.GetBytes(n).CopyTo(jpeg, 2);
        (jpeg[0], jpeg[1], jpeg[^2], jpeg[^1]) = (0xFF, 0xD8, 0xFF, 0xD9);
        return jpeg;
    }

    private SnapshotIntake.Refusal? Take(Guid eventId, int picture, DateTimeOffset at, string bore = "north", int claimsDue = 0) =>
        _intake.Take(new SnapshotTopic("maoliling", bore, "entry", eventId), Jpeg(picture), SitesFile.Maoliling, at, claimsDue);

    [Fact]
    public void A_portal_whose_room_is_taken_still_keeps_as_many_more_as_passages_wait_earlier_in_the_same_batch()
    {
        // A loop that fell behind takes snapshots and passages together: the passages ahead of a snapshot in the batch have not
        // freed their rooms yet. Seen in a full test run: an honest agent's 64 pictures refused while their passages waited.
        Assert.All(Enumerable.Range(0, Room), _ => Assert.Null(Take(Guid.NewGuid(), 1, T0)));
        Assert.Equal("snapshot-unclaimed", Take(Guid.NewGuid(), 1, T0)?.Code);
        Assert.Null(Take(Guid.NewGuid(), 1, T0, claimsDue: 2));
        Assert.Null(Take(Guid.NewGuid(), 1, T0, claimsDue: 2));
        Assert.Equal("snapshot-unclaimed", Take(Guid.NewGuid(), 1, T0, claimsDue: 2)?.Code);
    }

    [Fact]
    public void A_passage_frees_its_snapshots_room_and_those_that_waited_too_long_for_theirs_are_deleted_when_room_is_needed()
    {
        var early = Enumerable.Range(0, Room).Select(_ => Guid.NewGuid()).ToList();
        Assert.All(early, id => Assert.Null(Take(id, 1, T0)));
        _intake.Claim(early[0]);
        var later = Guid.NewGuid();
        Assert.Null(Take(later, 2, T0.AddMinutes(1)));

        var refused = Guid.NewGuid();
        Assert.Equal("snapshot-unclaimed", Take(refused, 3, T0.AddMinutes(2))?.Code);
        Assert.Null(_store.Load(refused));

        var afterwards = Guid.NewGuid();
        Assert.Null(Take(afterwards, 4, T0 + SnapshotIntake.ClaimWithin + TimeSpan.FromMinutes(1)));
        // The claimed one is its passage's for good; those still waiting within the limit stay too.
        Assert.NotNull(_store.Load(early[0]));
        Assert.All(early.Skip(1), id => Assert.Null(_store.Load(id)));
        Assert.NotNull(_store.Load(later));
        Assert.NotNull(_store.Load(afterwards));
        Assert.Equal(1, _intake.Refused["snapshot-unclaimed"]);
    }

    [Fact]
    public void A_full_portal_still_takes_its_agents_re_sends_refuses_other_pictures_as_existing_and_leaves_other_portals_room()
    {
        var waiting = Enumerable.Range(0, Room).Select(_ => Guid.NewGuid()).ToList();
        Assert.All(waiting, id => Assert.Null(Take(id, 1, T0)));

        // A re-sent snapshot goes with its passage, which follows: never refused, even with the portal full.
        Assert.Null(Take(waiting[5], 1, T0.AddMinutes(1)));
        Assert.Equal("snapshot-exists", Take(waiting[5], 2, T0.AddMinutes(1))?.Code);
        Assert.Equal(Jpeg(1), _store.Load(waiting[5]));
        Assert.Null(Take(Guid.NewGuid(), 1, T0.AddMinutes(1), bore: "south"));

        // Re-sent just now, it is not taken for one whose passage never came.
        Assert.Null(Take(Guid.NewGuid(), 1, T0 + SnapshotIntake.ClaimWithin + TimeSpan.FromSeconds(30)));
        Assert.Equal(Jpeg(1), _store.Load(waiting[5]));
        Assert.Null(_store.Load(waiting[4]));
    }

    [Fact]
    public void A_portal_of_no_configured_bore_has_no_room_at_all()
    {
        var id = Guid.NewGuid();
        Assert.Equal("snapshot-unknown-portal", Take(id, 1, T0, bore: "west")?.Code);
        Assert.Null(_store.Load(id));
    }
}
