using System.Collections.Concurrent;
using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>
/// Who takes a passage message: the MQTT client's network thread when no turn is under way, the loop
/// when one is (a command, a tick); either way every passage is decided once, one turn at a time.
/// Runs the real service on a private mosquitto and a SQLite store.
/// </summary>
public sealed class CentralServiceTurnTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;
    private const string AgentId = "maoliling-north-entry-1";
    private readonly BlockingCollection<(Guid EventId, string? Thread)> _decided = new();
    private LiveCentral _live = null!;
    private long _seq;

    public async Task InitializeAsync() =>
        _live = await LiveCentral.StartAsync(AgentId, service => service.PassagesDecided += decided =>
        {
            foreach (var d in decided) _decided.Add((d.Passage.EventId, Thread.CurrentThread.Name));
        });

    public async Task DisposeAsync() => await _live.DisposeAsync();

    private async Task<Guid> Publish()
    {
        var passage = new Passage
        {
            EventId = Guid.NewGuid(), AgentId = AgentId, Seq = ++_seq, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
            Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = DateTimeOffset.UtcNow,
            Plate = new PlateRead { Text = "浙A12345", Color = PlateColor.Blue, Confidence = 0.97 },
            Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
        };
        await _live.Agent.PublishAsync(Topics.Passage("maoliling", "north", Portal.Entry), Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage)))
            .WaitAsync(Deadline);
        return passage.EventId;
    }

    private (Guid EventId, string? Thread) NextDecided()
    {
        Assert.True(_decided.TryTake(out var decided, Deadline), $"nothing decided within {Deadline.TotalSeconds:0} s");
        return decided;
    }

    [Fact]
    public async Task With_the_loop_idle_passages_are_decided_on_the_network_thread_each_once()
    {
        var threads = new List<string?>();
        for (var i = 0; i < 20; i++)
        {
            var sent = await Publish();
            var (decided, thread) = NextDecided();
            Assert.Equal(sent, decided);
            threads.Add(thread);
        }
        // A tick's turn can hold the engine just when one arrives (the loop then takes it), but not for all twenty.
        Assert.Contains(threads, t => t != "central loop");
        Assert.Equal(20, _live.Service.Ingest.Accepted);
        Assert.Empty(_decided);
    }

    [Fact]
    public async Task Passages_that_arrive_while_a_command_holds_the_engine_are_decided_by_the_loop_after_it()
    {
        using var release = new ManualResetEventSlim();
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var command = _live.Service.Post((engine, now) =>
        {
            holding.TrySetResult();
            return release.Wait(Deadline);
        });
        await holding.Task.WaitAsync(Deadline);

        var sent = new List<Guid>();
        for (var i = 0; i < 5; i++) sent.Add(await Publish());
        // All five reached the service's client while the command held the engine: none could be decided.
        Assert.True(SpinWait.SpinUntil(() => _live.CentralClient.Messages.Count == 5, Deadline), $"{_live.CentralClient.Messages.Count} of 5 messages reached the service");
        Assert.Empty(_decided);

        release.Set();
        Assert.True(await command.WaitAsync(Deadline));
        var decided = Enumerable.Range(0, 5).Select(_ => NextDecided()).ToList();
        Assert.Equal(sent, decided.Select(d => d.EventId));
        Assert.All(decided, d => Assert.Equal("central loop", d.Thread));
        Assert.Equal(5, _live.Service.Ingest.Accepted);
    }
}
