using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>
/// What the live service keeps of the snapshots agents publish (real mosquitto, SQLite, snapshot files): a passage's own
/// picture is never replaced, and an agent cannot fill the disk with pictures of passages that never come.
/// </summary>
public sealed class SnapshotIntakeTests : IAsyncLifetime
{
    private const string AgentId = "maoliling-north-entry-1";
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;
    private readonly Dictionary<Guid, TaskCompletionSource> _decided = [];
    private LiveCentral _live = null!;
    private long _seq;

    public async Task InitializeAsync() =>
        _live = await LiveCentral.StartAsync(AgentId, service => service.PassagesDecided += decided =>
        {
            lock (_decided)
                foreach (var d in decided)
                    if (_decided.TryGetValue(d.Passage.EventId, out var waiting)) waiting.TrySetResult();
        }, snapshots: true);

    public async Task DisposeAsync() => await _live.DisposeAsync();

    /// <summary>A complete JPEG (start and end markers) whose bytes say <paramref name="which"/>.</summary>
    private static byte[] Jpeg(string which, int size = 2000)
    {
        var jpeg = new byte[size];
        Encoding.ASCII.GetBytes(which).CopyTo(jpeg, 2);
        (jpeg[0], jpeg[1], jpeg[^2], jpeg[^1]) = (0xFF, 0xD8, 0xFF, 0xD9);
        return jpeg;
    }

    private Task PublishSnapshot(Guid eventId, byte[] jpeg, Portal portal = Portal.Entry) =>
        _live.Agent.PublishAsync(Topics.Snapshot("maoliling", "north", portal, eventId), jpeg, 1).WaitAsync(Deadline);

    private Passage Entry(Guid? eventId = null) => new()
    {
        EventId = eventId ?? Guid.NewGuid(), AgentId = AgentId, Seq = ++_seq, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
        Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = DateTimeOffset.UtcNow,
        Plate = new PlateRead { Text = $"浙A{_seq:D5}", Color = PlateColor.Blue, Confidence = 0.97 },
        Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
    };

    /// <summary>
    /// Publishes <paramref name="passage"/> (after everything the agent sent before it: one connection keeps its order) and
    /// returns once the service decided it and stored what it took before it, dead letters included.
    /// </summary>
    private async Task PublishAndSettle(Passage passage)
    {
        var decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_decided) _decided[passage.EventId] = decided;
        await PublishPassage(passage);
        await decided.Task.WaitAsync(Deadline);
        // A command is answered once the writer has stored everything queued before it.
        await _live.Service.Post((_, _) => 0).WaitAsync(Deadline);
    }

    private Task PublishPassage(Passage passage) =>
        _live.Agent.PublishAsync(Topics.Passage(passage.Site, passage.Bore, passage.Portal),
            Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage)), 1).WaitAsync(Deadline);

    private long Refused(string reason) => _live.Service.Snapshot.RejectedByReason.GetValueOrDefault(reason);

    private int SnapshotFiles() => Directory.Exists(_live.Snapshots!.Root)
        ? Directory.EnumerateFiles(_live.Snapshots.Root, "*.jpg", SearchOption.AllDirectories).Count()
        : 0;

    [Fact]
    public async Task A_passage_keeps_the_snapshot_it_came_with_and_another_picture_under_its_event_id_is_refused_and_dead_lettered()
    {
        var passage = Entry();
        passage = passage with { Snapshot = Topics.SnapshotReference(passage.EventId) };
        var own = Jpeg("own picture");
        await PublishSnapshot(passage.EventId, own);
        await PublishAndSettle(passage);

        // Someone who learnt the event id (from a console, a log) sends another picture under it.
        await PublishSnapshot(passage.EventId, Jpeg("someone else's"));
        await PublishAndSettle(Entry());

        Assert.Equal(own, _live.Snapshots!.Load(passage.EventId));
        Assert.Equal(1, Refused("snapshot-exists"));
        var letter = Assert.Single(_live.Store.ReadDeadLetters(100));
        Assert.Equal(("snapshot-exists", Topics.Snapshot("maoliling", "north", Portal.Entry, passage.EventId)), (letter.ReasonCode, letter.Topic));
        Assert.Contains("already", letter.Reason);

        // The agent's own re-send (an outbox replayed after an outage sends snapshot and passage again) is no refusal.
        await PublishSnapshot(passage.EventId, own);
        await PublishPassage(passage);
        await PublishAndSettle(Entry());
        Assert.Equal(own, _live.Snapshots.Load(passage.EventId));
        Assert.Equal(1, Refused("snapshot-exists"));
        Assert.Single(_live.Store.ReadDeadLetters(100));
    }

    [Fact]
    public async Task A_flood_of_snapshots_under_made_up_event_ids_is_refused_past_the_portals_bound_keeping_few_of_its_pictures()
    {
        const int bound = 256, beyond = 200;
        for (var i = 0; i < bound + beyond; i++) await PublishSnapshot(Guid.NewGuid(), Jpeg($"made up {i}"));
        // Another portal's agent is not held back by this one's flood.
        var exit = Entry() with { AgentId = "maoliling-north-exit-1", Portal = Portal.Exit, CameraId = "cam-north-exit-1", Seq = 1 };
        exit = exit with { Snapshot = Topics.SnapshotReference(exit.EventId) };
        await PublishSnapshot(exit.EventId, Jpeg("exit"), Portal.Exit);
        await PublishAndSettle(exit);

        Assert.Equal(bound + 1, SnapshotFiles());
        Assert.NotNull(_live.Snapshots!.Load(exit.EventId));
        Assert.Equal(beyond, Refused("snapshot-unclaimed"));
        var letters = _live.Store.ReadDeadLetters(1000).Where(l => l.ReasonCode == "snapshot-unclaimed").ToList();
        Assert.Equal(beyond, letters.Count);
        // As every source's dead letters: past its first 60 a minute (the flood may straddle two), kept without their bytes.
        Assert.InRange(letters.Count(l => l.Payload.Length > 0), 60, 120);
        Assert.All(letters.Where(l => l.Payload.Length == 0), l => Assert.Equal(2000, l.OriginalLength));
    }
}
