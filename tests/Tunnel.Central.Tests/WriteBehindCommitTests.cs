using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

/// <summary>
/// The write-behind's group commit on a real SQLite store: what queues while the writer waits out its
/// interval joins one commit, and a passage after a quiet spell is stored at once. The stored-alarms
/// callback, which the writer calls right after each commit, tells the test when a commit happened and
/// what it held. The MQTT client is never connected: acknowledgements are not what is tested here.
/// </summary>
public sealed class WriteBehindCommitTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-group-commit-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly BlockingCollection<(long At, IReadOnlyList<AlarmTransition> Alarms)> _commits = new();
    private readonly BrokerConnection _mqtt = new(new MqttClientOptions { Host = "127.0.0.1", Port = 1, ClientId = "central" }, NullLogger.Instance);
    private TunnelStore _store = null!;
    private WriteBehind _writer = null!;
    private Task _writing = Task.CompletedTask;
    private long _seq;
    // Name and nice value of the thread that ran the last commit's callback, as the kernel has them.
    private (string Name, int Nice) _committer;

    public Task InitializeAsync()
    {
        _store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(_dir));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _writing;
        await _mqtt.DisposeAsync();
        _store.Dispose();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Start(TimeSpan commitEvery)
    {
        _writer = new WriteBehind(_store, _mqtt, TimeProvider.System, NullLogger.Instance,
            stored =>
            {
                _committer = CurrentThreadAsTheKernelSeesIt();
                _commits.Add((Stopwatch.GetTimestamp(), stored.ToList()));
            }, commitEvery: commitEvery);
        _writing = _writer.RunAsync(_stop.Token);
    }

    /// <summary>One loop turn: a passage and the alarm it raised, then the writer woken.</summary>
    private AlarmTransition Turn()
    {
        var now = DateTimeOffset.UtcNow;
        var passage = new Passage
        {
            EventId = Guid.NewGuid(), AgentId = "maoliling-north-entry-1", Seq = ++_seq, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
            Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = now,
            Plate = new PlateRead { Text = "浙A12345", Color = PlateColor.Blue, Confidence = 0.97 },
            Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
        };
        var alarm = new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", At = now, EntryEventId = passage.EventId, Plate = "浙A12345", Reason = "test",
        };
        _writer.AddPassage(passage, now);
        _writer.AddAlarms([alarm]);
        _writer.Acknowledge([("maoliling", passage.AgentId)]);
        return alarm;
    }

    private (long At, IReadOnlyList<AlarmTransition> Alarms) NextCommit()
    {
        Assert.True(_commits.TryTake(out var commit, Deadline), $"no commit within {Deadline.TotalSeconds:0} s");
        return commit;
    }

    [Fact]
    public void After_a_quiet_spell_a_passage_is_committed_without_waiting_for_the_interval()
    {
        // An hour between commits: were the first commit held back by it, the test would time out.
        Start(TimeSpan.FromHours(1));
        var alarm = Turn();
        var commit = NextCommit();
        Assert.Equal([alarm.AlarmId], commit.Alarms.Select(a => a.AlarmId));
        Assert.Equal(1, _writer.Commits);
        Assert.Equal(1, _store.HighestStoredSeq("maoliling-north-entry-1"));
    }

    [Fact]
    public void Turns_that_come_sooner_than_the_interval_after_a_commit_share_the_next_commit()
    {
        var every = TimeSpan.FromSeconds(1.5);
        Start(every);
        var started = Stopwatch.GetTimestamp();
        var first = Turn();
        Assert.Equal([first.AlarmId], NextCommit().Alarms.Select(a => a.AlarmId));

        // Three turns right behind the first commit: one commit takes them all, no sooner than the interval after the first began.
        var next = new[] { Turn(), Turn(), Turn() };
        var (at, alarms) = NextCommit();
        Assert.Equal(next.Select(a => a.AlarmId), alarms.Select(a => a.AlarmId));
        Assert.True(Stopwatch.GetElapsedTime(started, at) >= every, $"second commit {Stopwatch.GetElapsedTime(started, at).TotalMilliseconds:0} ms after the first turn");
        Assert.Equal(2, _writer.Commits);
        Assert.Equal(4, _store.HighestStoredSeq("maoliling-north-entry-1"));
        Assert.Equal(0, _writer.Backlog);
    }

    [Fact]
    public void The_writer_commits_on_a_named_thread_that_gives_way_to_the_threads_deciding_passages()
    {
        Start(TimeSpan.FromMilliseconds(25));
        Turn();
        NextCommit();
        Assert.Equal((WriteBehind.StoreWriterThreadName, 10), _committer);
    }

    /// <summary>The calling thread's name and nice value from /proc (fields 2 and 19 of its stat line).</summary>
    private static (string Name, int Nice) CurrentThreadAsTheKernelSeesIt()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (name, int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture));
    }
}
