using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;

namespace Tunnel.Central.Tests;

/// <summary>
/// The live service while its store fails (another writer holds SQLite's lock, as a backup or a stuck tool would):
/// a real mosquitto, a real store, the agent's messages over MQTT. The passages of now are still decided; a passage from
/// hours ago, which only the store can tell from a re-send, waits for its agent's next re-send instead of holding them up.
/// </summary>
public sealed class StoreOutageTests : IAsyncLifetime
{
    private const string AgentId = "maoliling-north-entry-1";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private readonly BlockingCollection<Guid> _decided = new();
    private LiveCentral _live = null!;
    private long _seq;

    public async Task InitializeAsync() =>
        _live = await LiveCentral.StartAsync(AgentId, service => service.PassagesDecided += d => { foreach (var p in d) _decided.Add(p.Passage.EventId); },
            storeBusySeconds: 1);

    public async Task DisposeAsync() => await _live.DisposeAsync();

    private Passage Entry(DateTimeOffset capturedAt) => new()
    {
        EventId = Guid.NewGuid(), AgentId = AgentId, Seq = ++_seq, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
        Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = capturedAt,
        Plate = new PlateRead { Text = $"浙A{_seq:D5}", Color = PlateColor.Blue, Confidence = 0.97 },
        Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
    };

    private Task Publish(Passage p) =>
        _live.Agent.PublishAsync(Topics.Passage(p.Site, p.Bore, p.Portal), Encoding.UTF8.GetBytes(TunnelJson.Serialize(p)));

    private Guid NextDecided()
    {
        Assert.True(_decided.TryTake(out var id, Limit), "no passage decided");
        return id;
    }

    /// <summary>Another writer holds the database until this is disposed.</summary>
    private SqliteConnection HoldWriteLock()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_live.DataDirectory, "tunnel.db")};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
        return connection;
    }

    [Fact]
    public async Task A_passage_from_hours_ago_waits_for_its_re_send_while_the_store_fails_and_the_passages_of_now_are_decided_meanwhile()
    {
        var first = Entry(DateTimeOffset.UtcNow);
        await Publish(first);
        Assert.Equal(first.EventId, NextDecided());

        var old = Entry(DateTimeOffset.UtcNow - TimeSpan.FromHours(6));
        var now = Entry(DateTimeOffset.UtcNow);
        var later = Entry(DateTimeOffset.UtcNow);
        using (HoldWriteLock())
        {
            await Publish(old);
            await Publish(now);
            // Decided while the store is still locked: the old passage ahead of it did not hold up its batch.
            Assert.Equal(now.EventId, NextDecided());
            Assert.Equal(1, _live.Service.Ingest.Deferred);
            // An operator's command still gets its turn (its answer waits for the store, the work does not).
            var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = _live.Service.Post((_, _) => ran.TrySetResult());
            await ran.Task.WaitAsync(Limit);
            await Publish(later);
            Assert.Equal(later.EventId, NextDecided());
            // What /healthz reports as a failing store: the writer's commits of the passages of now fail too.
            await Wait.UntilAsync(() => _live.Service.StoreFailing, "the writer's failed commit", Limit);
        }

        // The store is back (the writer's next try commits what it kept). The agent had no acknowledgement for the old
        // passage and sends it again: now it is taken.
        await Wait.UntilAsync(() => !_live.Service.StoreFailing, "the writer's commit once the lock is gone", Limit);
        await Publish(old);
        Assert.Equal(old.EventId, NextDecided());
        await Wait.UntilAsync(() => _live.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId).ToHashSet()
            .IsSupersetOf([first.EventId, old.EventId, now.EventId, later.EventId]), "all four passages stored", Limit);
        Assert.False(_live.Service.StoreFailing);
    }
}
