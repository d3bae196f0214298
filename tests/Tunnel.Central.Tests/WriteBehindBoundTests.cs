using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Alarms;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;
using Tunnel.Mqtt;
using Tunnel.Storage;
using Tunnel.EndToEnd.Tests.Support;

namespace Tunnel.Central.Tests;

/// <summary>
/// The write-behind's bound on what it holds while the store is down, and what a re-send counts for: a real
/// SQLite store locked by another writer, a real mosquitto carrying the acknowledgements to the agent. The test plays the
/// central service's loop (ingest a batch, hand the turn's alarms to the writer, acknowledge) with a
/// cap small enough to reach.
/// </summary>
public sealed class WriteBehindBoundTests : IAsyncLifetime
{
    private const int Cap = 20;
    private const string AgentId = "maoliling-north-entry-1", BrokerPassword = "broker-secret";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-write-behind-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly ListLogger _log = new();
    private readonly List<AlarmTransition> _turnAlarms = [];
    private readonly ConcurrentQueue<AlarmTransition> _announced = new();
    private readonly ConcurrentQueue<AgentAck> _acks = new();
    private MosquittoBroker _broker = null!;
    private BrokerConnection _central = null!;
    private MqttClient _agent = null!;
    private Task _ackPump = Task.CompletedTask;
    private Task _writing = Task.CompletedTask;
    private TunnelStore _store = null!;
    private TunnelEngine _engine = null!;
    private WriteBehind _writer = null!;
    private PassageIngest _ingest = null!;
    private long _seq;

    public async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { ["central"] = BrokerPassword, [AgentId] = BrokerPassword },
        });
        _central = new BrokerConnection(new MqttClientOptions { Host = _broker.Host, Port = _broker.Port, ClientId = "central", Username = "central", Password = BrokerPassword }, NullLogger.Instance);
        await _central.ConnectAsync();
        _agent = new MqttClient(new MqttClientOptions { Host = _broker.Host, Port = _broker.Port, ClientId = AgentId, Username = AgentId, Password = BrokerPassword });
        await _agent.ConnectAsync();
        _ackPump = Task.Run(async () =>
        {
            await foreach (var m in _agent.Messages.ReadAllAsync()) _acks.Enqueue(TunnelJson.Deserialize<AgentAck>(Encoding.UTF8.GetString(m.Payload))!);
        });
        await _agent.SubscribeAsync(Topics.AgentAck("maoliling", AgentId));
        _store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(_dir));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _writing;
        await _agent.DisposeAsync();
        await _ackPump;
        await _central.DisposeAsync();
        await _broker.DisposeAsync();
        _store.Dispose();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Start(int maxDroppedIds = WriteBehind.DefaultMaxDroppedIds)
    {
        var sites = SitesFile.Maoliling;
        _engine = new TunnelEngine(sites, new DetectorSettings(), _turnAlarms.Add);
        _writer = new WriteBehind(_store, _central, TimeProvider.System, _log, stored => { foreach (var t in stored) _announced.Enqueue(t); }, Cap, maxDroppedIds);
        _ingest = new PassageIngest(new PassageValidator(sites), _store, _engine, _writer);
        _writing = _writer.RunAsync(_stop.Token);
    }

    private BoreMonitor North => _engine.Bores[new BoreKey("maoliling", "north")];
    private long LastAck => _acks.Select(a => a.StoredThroughSeq).DefaultIfEmpty(0).Max();
    private List<Guid> StoredIds() => _store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId).ToList();
    private int Warnings(string about) => _log.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains(about, StringComparison.Ordinal));
    private int Informations(string about) => _log.Lines.Count(l => l.Level == LogLevel.Information && l.Message.Contains(about, StringComparison.Ordinal));

    /// <summary>The next passage of the lane-1 entry agent, not yet sent.</summary>
    private Passage Entry(DateTimeOffset capturedAt, string plate) => new()
    {
        EventId = Guid.NewGuid(), AgentId = AgentId, Seq = ++_seq, Site = "maoliling", Bore = "north", Portal = Portal.Entry, Lane = 1,
        CameraId = "cam-north-entry-1", CapturedAt = capturedAt,
        Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.97 },
        Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
    };

    private List<Passage> Entries(int count)
    {
        var first = DateTimeOffset.UtcNow.AddSeconds(-60);
        return Enumerable.Range(0, count).Select(i => Entry(first.AddSeconds(i * 0.5), $"浙A{i:D5}")).ToList();
    }

    /// <summary>One turn of the service's loop: the batch as it arrives over MQTT, then the turn's alarms and acknowledgements to the writer.</summary>
    private void Turn(IEnumerable<Passage> passages)
    {
        var now = DateTimeOffset.UtcNow;
        var batch = passages.Select(p => new MqttMessage(Topics.Passage(p.Site, p.Bore, p.Portal), Encoding.UTF8.GetBytes(TunnelJson.Serialize(p)), 1, false)).ToList();
        var result = _ingest.Ingest(batch, now);
        _engine.AdvanceTo(now);
        _writer.AddAlarms(_turnAlarms);
        _turnAlarms.Clear();
        _writer.Acknowledge(result.Agents);
    }

    /// <summary>Another writer (a backup, a slow disk) holds the database until this is disposed.</summary>
    private SqliteConnection HoldWriteLock()
    {
        var blocker = new SqliteConnection($"Data Source={Path.Combine(_dir, "tunnel.db")};Pooling=False");
        blocker.Open();
        // BEGIN IMMEDIATE: takes the write lock now; disposing the connection rolls back and releases it.
        blocker.BeginTransaction();
        return blocker;
    }

    /// <summary>Everything queued stored, and the agent told as much as the store holds.</summary>
    private Task Settled(string what) =>
        Wait.UntilAsync(() => _writer.Backlog == 0 && LastAck == _store.HighestStoredSeq(AgentId), what, Deadline);


    /// <summary>As an agent does when its acknowledgement stops moving: everything unconfirmed goes again, until all is confirmed.</summary>
    private async Task ResendUntilConfirmed(List<Passage> outbox, int maxRounds)
    {
        for (var round = 1; LastAck < outbox.Count; round++)
        {
            Assert.True(round <= maxRounds, $"still unconfirmed after {maxRounds} rounds of re-sends: acknowledged through {LastAck}");
            var confirmed = LastAck;
            Turn(outbox.Where(p => p.Seq > confirmed));
            Assert.InRange(_writer.Backlog, 0, Cap);
            await Settled($"re-send round {round} stored and acknowledged");
        }
    }

    [Fact]
    public async Task A_resend_under_another_seq_of_a_passage_stored_already_moves_the_acknowledgement_to_that_seq()
    {
        Start();
        var sent = Entries(3);
        Turn(sent);
        await Settled("the three passages stored and acknowledged");
        Assert.Equal(3, LastAck);

        // The agent's outbox file was replaced before it heard that: it numbers the same passages anew, after the
        // acknowledgement the broker kept for it, and sends them again.
        Turn(sent.Select((p, i) => p with { Seq = 4 + i }));
        await Wait.UntilAsync(() => LastAck == 6, $"the acknowledgement through 6 (it is at {LastAck})", Deadline);
        Assert.Equal(3, StoredIds().Count);
        Assert.Equal(6, _store.HighestStoredSeq(AgentId));
    }

    [Fact]
    public async Task While_the_store_is_locked_at_most_the_cap_is_held_yet_every_passage_is_decided_and_re_sends_store_the_rest_once()
    {
        Start();
        var outbox = Entries(100);
        using (HoldWriteLock())
        {
            foreach (var chunk in outbox.Chunk(10))
            {
                Turn(chunk);
                Assert.InRange(_writer.Backlog, 1, Cap);
            }
            Assert.Equal(Cap, _writer.Backlog);
            Assert.Equal(100, North.Counters.Entries);
            Assert.Equal(outbox.Select(p => p.EventId), North.Matcher.AllOpen.OrderBy(t => t.EnteredAt).Select(t => t.EntryEventId));
            Assert.Equal(80, _writer.PassagesDropped);
            Assert.Equal(1, Warnings("reached"));
            Assert.Empty(StoredIds());
        }

        // The lock gone, what was queued is stored; the first dropped seq holds the acknowledgement below it.
        await Settled("the queued passages stored and acknowledged");
        Assert.Equal(outbox.Take(Cap).Select(p => p.EventId), StoredIds());
        Assert.Equal(Cap, LastAck);
        Assert.Equal(1, Informations("below"));

        // Each round finds room for a cap's worth of dropped passages.
        await ResendUntilConfirmed(outbox, maxRounds: 80 / Cap);
        Assert.Equal(outbox.Select(p => p.EventId).Order(), StoredIds().Order());
        Assert.Equal(100, LastAck);
        Assert.Equal(80, _writer.PassagesRecovered);
        // Stored, not decided again.
        Assert.Equal(100, _ingest.Accepted);
        Assert.Equal((1, 1), (Warnings("reached"), Informations("below")));
    }

    [Fact]
    public async Task A_re_send_of_a_stored_passage_stays_a_duplicate_while_one_of_a_dropped_passage_is_stored()
    {
        Start();
        var outbox = Entries(Cap + 5);
        using (HoldWriteLock()) Turn(outbox);
        await Settled("the queued passages stored");
        var (stored, dropped) = (outbox[0], outbox[^1]);
        Assert.Contains(stored.EventId, StoredIds());
        Assert.DoesNotContain(dropped.EventId, StoredIds());

        using (HoldWriteLock())
        {
            Turn([stored, dropped]);
            // Locked, the writer keeps whatever was queued: only the dropped passage is.
            Assert.Equal(1, _writer.Backlog);
            Assert.Equal(1, _ingest.Duplicates);
            Assert.Equal(1, _writer.PassagesRecovered);
        }
        await Settled("the recovered passage stored");
        Assert.Equal(outbox.Take(Cap).Append(dropped).Select(p => p.EventId), StoredIds());
        Assert.Equal(Cap + 5, _ingest.Accepted);
    }

    [Fact]
    public async Task An_alarm_raised_while_passages_are_dropped_is_stored_and_announced_once_the_lock_goes()
    {
        Start();
        var traffic = Entries(Cap + 5);
        // Inside for half an hour already: overdue the moment the engine takes it.
        var stopped = Entry(DateTimeOffset.UtcNow.AddMinutes(-30), "浙J44444");
        Alarm raised;
        using (HoldWriteLock())
        {
            Turn(traffic);
            Turn([stopped]);
            Assert.Equal(6, _writer.PassagesDropped);
            raised = Assert.Single(_engine.Alarms.Open, a => a.Raised.Plate == "浙J44444");
            Assert.Equal(AlarmKind.Overdue, raised.Kind);
            // The passages up to the cap, and the alarm transition beyond it.
            Assert.Equal(Cap + 1, _writer.Backlog);
            Assert.Empty(_announced);
            Assert.Empty(_store.AlarmHistory(raised.Id));
        }
        await Wait.UntilAsync(() => _announced.Any(t => t.AlarmId == raised.Id), "the alarm announced", Deadline);
        Assert.Equal(AlarmState.ActiveUnacknowledged, Assert.Single(_store.AlarmHistory(raised.Id)).State);

        Assert.Single(_announced, t => t.AlarmId == raised.Id);

        // The passage that raised it was dropped: its agent's re-send stores it.
        Assert.DoesNotContain(stopped.EventId, StoredIds());
        await ResendUntilConfirmed([.. traffic, stopped], maxRounds: 1);
        Assert.Contains(stopped.EventId, StoredIds());
    }

    [Fact]
    public async Task Once_dropped_ids_are_forgotten_re_sends_are_offered_to_the_store_again_and_nothing_is_lost()
    {
        Start(maxDroppedIds: 3);
        var outbox = Entries(Cap + 10);
        using (HoldWriteLock()) Turn(outbox);
        Assert.Equal((10L, 7L), (_writer.PassagesDropped, _writer.DroppedIdsForgotten));
        Assert.Equal(1, Warnings("forgotten"));
        await Settled("the queued passages stored");

        await ResendUntilConfirmed(outbox, maxRounds: 1);
        Assert.Equal(outbox.Select(p => p.EventId).Order(), StoredIds().Order());
        // Only the remembered ones count as recovered; the forgotten ones were taken for duplicates, and stored all the same.
        Assert.Equal(3, _writer.PassagesRecovered);
        Assert.Equal(Cap + 10, _ingest.Accepted);
    }

    /// <summary>Keeps what the writer logs, formatted.</summary>
    private sealed class ListLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
