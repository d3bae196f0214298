using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// Makes what the loop decided durable, off the decision path: the engine sees a passage as soon as
/// it is validated, and a durable commit (a disk sync) is no longer in the way of the next one.
/// Passages, dead letters and ended transits queue here; one writer at a time stores everything
/// queued in one commit (one disk sync), then acknowledges the agents concerned. Nothing is lost by
/// deciding first: an agent keeps a passage in its outbox until the acknowledgement, which only
/// ever covers what is stored, and a passage the engine saw but the store never got is sent again.
/// Alarm transitions queue here too, behind the passages that raised them, and are handed to
/// <paramref name="alarmsStored"/> once stored: an alarm lost in a crash before that is raised again by
/// the rebuild from the stored passages.
/// <para>
/// Memory stays bounded while the store is down (locked, disk full, PostgreSQL away): beyond
/// <paramref name="maxQueuedPassages"/> passage bodies held for storing, a newly decided passage is
/// still decided (a stopped vehicle must still raise its alarm) but only its event id is kept. That
/// loses nothing for the same reason as above: it is never acknowledged, so its agent sends it again,
/// and <see cref="TryRecover"/> then queues the re-send for storing instead of taking it for a duplicate.
/// Alarm transitions, dead letters and ended transits are few and small, and are never dropped (a flood of dead
/// letters keeps only a budget of payloads, <see cref="DeadLetterBudget"/>).
/// </para>
/// </summary>
public sealed class WriteBehind(TunnelStore store, BrokerConnection mqtt, TimeProvider clock, ILogger log,
    Action<IReadOnlyList<AlarmTransition>> alarmsStored,
    int maxQueuedPassages = WriteBehind.DefaultMaxQueuedPassages, int maxDroppedIds = WriteBehind.DefaultMaxDroppedIds,
    TimeSpan? commitEvery = null)
{
    /// <summary>
    /// Group commit: the background writer starts a commit at most this often. Work that arrives sooner
    /// after the last commit began waits for the rest of the interval and joins the next one, so at
    /// thousands of passages a second one disk sync (and one write of each touched page) covers tens of
    /// them; at the reference deployment's rates (a passage every second or so) nothing waits.
    /// 25 ms rather than 10: much of a commit's cost (the sync, the index pages written again, the page
    /// cache's bookkeeping) is per commit, and at 2,000 passages/s the writer took a quarter less CPU
    /// from the MQTT thread and the broker, for about 8 ms more until the end-to-end acknowledgement
    /// (which waits for a disk sync and is sent at most every 50 ms per agent anyway).
    /// </summary>
    public static readonly TimeSpan DefaultCommitEvery = TimeSpan.FromMilliseconds(25);

    private readonly TimeSpan _commitEvery = commitEvery ?? DefaultCommitEvery;
    // When the background writer last began a commit (Stopwatch timestamp), null before the first; its
    // thread's alone. Not 0 for "never": timestamps count from boot, and a machine up for less than the
    // interval would hold its first commit back.
    private long? _lastCommitAt;

    /// <summary>
    /// Passage bodies held before new ones are dropped: under a kilobyte each, some 40 MB. The reference
    /// deployment at its busiest (two bores, 1,500 vehicles an hour each, seen at both portals: under two
    /// passages a second) fills it in about eight hours; the benchmark's 2,000 a second in 25 s.
    /// </summary>
    public const int DefaultMaxQueuedPassages = 50_000;

    /// <summary>
    /// Event ids of dropped passages remembered: 50 to 90 bytes each with the set and the order, under
    /// 100 MB; almost a week of outage at the reference deployment's busiest, eight minutes at the
    /// benchmark's rate. Beyond it the oldest are forgotten, since memory must stay bounded however long
    /// the outage. A forgotten passage's re-send would look like a duplicate, and its agent's
    /// acknowledgement would stay below it for good; so from then on every re-send of a decided passage
    /// is offered to the store again, which keeps one copy by event id: needless writes, not a lost passage.
    /// </summary>
    public const int DefaultMaxDroppedIds = 1_000_000;

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    // A busy agent would otherwise get an acknowledgement per commit (hundreds a second through the
    // broker); one every so often lets it trim its outbox just as well.
    private static readonly TimeSpan AckEvery = TimeSpan.FromMilliseconds(50);
    // When each agent was last acknowledged (Stopwatch timestamps); the writer thread's alone.
    private readonly Dictionary<(string Site, string Agent), long> _lastAck = [];
    private readonly Lock _queue = new();
    // Held while a batch is written, so a flush on the loop and the background writer never interleave.
    private readonly Lock _writing = new();
    // A kernel event, not a SemaphoreSlim: the loop signals hundreds of times a second, and a
    // spinning waiter would take that CPU from the loop on a two-core machine.
    private readonly AutoResetEvent _work = new(false);
    private Pending _pending = new();
    // What the writer has taken and not yet stored: still held, so it counts against the cap.
    private Pending _inFlight = new();
    private HashSet<(string Site, string Agent)> _ackDue = [];
    // Passages decided but neither stored nor queued (dropped for lack of room), awaiting their re-send;
    // the order, oldest first, tells which to forget (ids recovered meanwhile are skipped then).
    private HashSet<Guid> _dropped = [];
    private Queue<Guid> _droppedOrder = new();
    // From the first drop until the queue drains below the cap: one warning and one all-clear per outage.
    private bool _dropping;

    /// <summary>Store transactions the writer has committed (each one disk sync).</summary>
    public long Commits => Interlocked.Read(ref _commits);
    private long _commits;

    /// <summary>Commits that failed and were tried again; exposed on /metrics.</summary>
    public long Failures => Interlocked.Read(ref _failures);
    private long _failures;

    /// <summary>From a failed write until the next one succeeds: the store is down, locked by another writer, or full.</summary>
    public bool Failing => Volatile.Read(ref _failing);
    private bool _failing;

    /// <summary>Passages, dead letters, transits and alarm transitions queued or being written, not stored yet.</summary>
    public int Backlog { get { lock (_queue) return _pending.Count + _inFlight.Count; } }

    /// <summary>Decided passages whose bodies were not kept for lack of room; exposed on /metrics.</summary>
    public long PassagesDropped { get { lock (_queue) return _passagesDropped; } }
    private long _passagesDropped;

    /// <summary>Dropped passages stored after all, from their agents' re-sends; exposed on /metrics.</summary>
    public long PassagesRecovered { get { lock (_queue) return _passagesRecovered; } }
    private long _passagesRecovered;

    /// <summary>Dropped passages whose ids were forgotten (see <see cref="DefaultMaxDroppedIds"/>); exposed on /metrics.</summary>
    public long DroppedIdsForgotten { get { lock (_queue) return _droppedIdsForgotten; } }
    private long _droppedIdsForgotten;

    private bool HasRoom => _pending.Passages.Count + _inFlight.Passages.Count < maxQueuedPassages;

    /// <summary>Queues a passage the engine has just taken, or, without room for it, remembers only its id.</summary>
    public void AddPassage(Passage passage, DateTimeOffset receivedAt)
    {
        bool firstDrop, firstForgotten = false;
        lock (_queue)
        {
            if (HasRoom)
            {
                _pending.Passages.Add((passage, receivedAt));
                return;
            }
            _passagesDropped++;
            firstDrop = !_dropping;
            _dropping = true;
            if (_dropped.Add(passage.EventId)) _droppedOrder.Enqueue(passage.EventId);
            if (_droppedOrder.Count > maxDroppedIds && _dropped.Remove(_droppedOrder.Dequeue()))
                firstForgotten = ++_droppedIdsForgotten == 1;
        }
        if (firstDrop)
            log.LogWarning("store backlog reached {MaxQueuedPassages} passages: newly decided passages are not kept for storing until it drains; their agents send them again", maxQueuedPassages);
        if (firstForgotten)
            log.LogWarning("more than {MaxDroppedIds} dropped passages await their re-send: the oldest are forgotten, and from now on every re-send of a decided passage is offered to the store again", maxDroppedIds);
    }

    /// <summary>
    /// Takes a re-send of a passage the engine has already decided: true when its body had been dropped
    /// for lack of room and is now queued for storing. False for a duplicate of one stored or queued (whose seq
    /// then counts as handled), and for a dropped one while there is still no room (its agent sends it again).
    /// </summary>
    public bool TryRecover(Passage passage, DateTimeOffset receivedAt)
    {
        lock (_queue)
        {
            if (!HasRoom) return false;
            var recovered = _dropped.Remove(passage.EventId);
            if (recovered || _droppedIdsForgotten > 0) _pending.Passages.Add((passage, receivedAt));
            // Stored or queued already: its seq is handled in the next commit, since it may carry another number than
            // the stored copy (an agent whose outbox was replaced numbers its waiting passages anew).
            else _pending.HandledSeqs.Add((passage.AgentId, passage.Seq));
            if (!recovered) return false;
            _passagesRecovered++;
            // Start afresh once all are back: an outage's worth of ids would otherwise keep its memory.
            if (_dropped.Count == 0) (_dropped, _droppedOrder) = ([], new Queue<Guid>());
            return true;
        }
    }

    // Per agent, the highest seq known handled through (guarded by _queue): what it was last acknowledged, or what its status
    // told. An agent's status repeats the acknowledgement it got every ten seconds, which needs no store work.
    private readonly Dictionary<string, long> _handledThrough = new(StringComparer.Ordinal);
    private long _seqsNoLongerAwaited;

    /// <summary>Seqs agents said they hold no more that the store never had (lost with an outbox file, or with a database); exposed on /metrics.</summary>
    public long SeqsNoLongerAwaited => Interlocked.Read(ref _seqsNoLongerAwaited);

    /// <summary>
    /// An agent's status says it holds no passage numbered at or below <paramref name="through"/>: from the next commit on,
    /// its acknowledgement no longer waits for any of them.
    /// </summary>
    public void AgentConfirmedThrough(string agentId, long through)
    {
        lock (_queue)
        {
            if (through <= _handledThrough.GetValueOrDefault(agentId)) return;
            _handledThrough[agentId] = through;
            _pending.ConfirmedThrough.Add((agentId, through));
        }
        _work.Set();
    }

    /// <summary>A rejected message; its seq (when readable) counts as handled in the same commit.</summary>
    public void AddDeadLetter(DeadLetter letter, long? seq)
    {
        lock (_queue) _pending.DeadLetters.Add((_deadLetterBudget.Admit(letter), seq));
    }

    private readonly DeadLetterBudget _deadLetterBudget = new();

    /// <summary>Dead letters kept without their payload, their source over its budget (<see cref="DeadLetterBudget"/>).</summary>
    public long DeadLetterPayloadsDropped { get { lock (_queue) return _deadLetterBudget.PayloadsDropped; } }

    public void AddTransits(IEnumerable<TransitRecord> transits)
    {
        lock (_queue) _pending.Transits.AddRange(transits);
    }

    /// <summary>Alarm transitions, stored after everything queued before them.</summary>
    public void AddAlarms(IEnumerable<AlarmTransition> transitions)
    {
        lock (_queue) _pending.Alarms.AddRange(transitions);
    }

    /// <summary>
    /// Runs <paramref name="callbacks"/> on the writer's thread once everything queued so far is stored (at once if
    /// nothing is): an operator's answer waits for the store this way, and the loop goes on deciding meanwhile.
    /// </summary>
    public void AfterStored(IReadOnlyList<Action<Exception?>> callbacks)
    {
        lock (_queue)
        {
            if (!_finished)
            {
                _pending.AfterStored.AddRange(callbacks);
                _work.Set();
                return;
            }
        }
        foreach (var callback in callbacks) callback(NotStored);
    }

    private static readonly InvalidOperationException NotStored = new("the service stopped before this was stored");
    // Set when the writer has made its last commit: nothing queued afterwards will be stored.
    private bool _finished;

    /// <summary>A stored alarm transition the broker has accepted (called on the MQTT client's network thread): not to be sent again after a restart.</summary>
    public void AddPublished(AlarmTransition transition)
    {
        lock (_queue)
        {
            // A PUBACK that comes in after the writer's last commit: the row stays unpublished and goes once more after the restart.
            if (_finished) return;
            _pending.PublishedAlarms.Add(transition);
            _work.Set();
        }
    }

    /// <summary>
    /// Queues an acknowledgement for each agent once what is queued now is stored, and wakes the
    /// writer. Called last in a loop turn, so an acknowledgement also covers the transits the turn ended.
    /// </summary>
    public void Acknowledge(IEnumerable<(string Site, string Agent)> agents)
    {
        bool any;
        lock (_queue)
        {
            _pending.Agents.UnionWith(agents);
            any = _pending.Count > 0 || _pending.HandledSeqs.Count > 0 || _pending.Agents.Count > 0;
        }
        if (any) _work.Set();
    }

    /// <summary>
    /// Stores everything queued, on the caller's thread, before the caller writes something that
    /// must not reach the store ahead of it (an alarm after the passages that raised it) or reads the
    /// store back (a rebuild). The acknowledgements it owes go out from the background writer.
    /// </summary>
    public void Flush()
    {
        lock (_writing) WriteQueued();
        _work.Set();
    }

    /// <summary>
    /// <see cref="Flush"/>, unless the writer has been in the middle of a write for <paramref name="wait"/> already (waiting
    /// out another writer's lock, say): then false, and the caller has not waited longer than that.
    /// </summary>
    public bool TryFlush(TimeSpan wait)
    {
        if (!_writing.TryEnter(wait)) return false;
        try { WriteQueued(); }
        finally { _writing.Exit(); }
        _work.Set();
        return true;
    }

    /// <summary>
    /// The writer, on a thread of its own: its commits block on the disk, and on a pool thread they
    /// would hold up the loop's own continuations whenever the pool is short of threads. The thread
    /// runs at a lower priority (<see cref="BackgroundPriority"/>): a commit can wait a few
    /// milliseconds, the decision on a passage should not.
    /// </summary>
    public Task RunAsync(CancellationToken ct) => OwnThread.Run(StoreWriterThreadName, () =>
    {
        BackgroundPriority.LowerCurrentThread(BackgroundPriority.StoreWriterNice);
        Run(ct);
    });

    /// <summary>The writer thread's name, as the kernel shows it (15 characters at most there).</summary>
    public const string StoreWriterThreadName = "store writer";

    private void Run(CancellationToken ct)
    {
        var nextAck = Timeout.InfiniteTimeSpan;
        try
        {
            while (true)
            {
                WaitHandle.WaitAny([_work, ct.WaitHandle], nextAck);
                ct.ThrowIfCancellationRequested();
                var since = _lastCommitAt is { } last ? Stopwatch.GetElapsedTime(last) : TimeSpan.MaxValue;
                if (since < _commitEvery && Backlog > 0)
                {
                    ct.WaitHandle.WaitOne(_commitEvery - since);
                    ct.ThrowIfCancellationRequested();
                }
                try
                {
                    if (Backlog > 0) _lastCommitAt = Stopwatch.GetTimestamp();
                    lock (_writing) WriteQueued();
                    nextAck = PublishAcks();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _failures);
                    log.LogError(e, "storing decided passages failed ({Failures} so far); {Backlog} kept for the next try", Failures, Backlog);
                    ct.WaitHandle.WaitOne(RetryAfter);
                    _work.Set();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // On the way out: store what the loop decided last, so agents need not send it again.
            try
            {
                lock (_writing) WriteQueued();
                _lastAck.Clear();
                PublishAcks();
            }
            catch (Exception e) when (e is not OutOfMemoryException) { log.LogWarning("final store write failed: {Error}", e.Message); }
        }
        finally
        {
            List<Action<Exception?>> unanswered;
            lock (_queue)
            {
                _finished = true;
                unanswered = [.. _inFlight.AfterStored, .. _pending.AfterStored];
                _pending.AfterStored.Clear();
            }
            foreach (var callback in unanswered) callback(NotStored);
            _work.Dispose();
        }
    }

    private void WriteQueued()
    {
        Pending taken;
        lock (_queue) (taken, _pending, _inFlight) = (_pending, new Pending(), _pending);
        try
        {
            // One transaction, so one disk sync, for everything queued; the alarms still land with (never before) the passages that raised them.
            if (taken.Count > 0 || taken.HandledSeqs.Count > 0 || taken.ConfirmedThrough.Count > 0)
            {
                var result = store.Store(new StoreBatch
                {
                    Passages = taken.Passages, DeadLetters = taken.DeadLetters, HandledSeqs = taken.HandledSeqs, ConfirmedThrough = taken.ConfirmedThrough,
                    Transits = taken.Transits, Alarms = taken.Alarms, PublishedAlarms = taken.PublishedAlarms,
                });
                Interlocked.Increment(ref _commits);
                foreach (var (agent, seqs) in result.NoLongerAwaited)
                {
                    Interlocked.Add(ref _seqsNoLongerAwaited, seqs.To - seqs.From + 1);
                    log.LogWarning("agent {Agent} holds no passage numbered {From}-{To} any more, which this store never had: no longer awaited " +
                        "(they went with an outbox file lost or replaced, or with a database restored or replaced)", agent, seqs.From, seqs.To);
                }
            }
        }
        catch
        {
            // Put back ahead of what queued meanwhile; storing again is idempotent (passages by event id, transits by entry).
            lock (_queue) (_pending, _inFlight) = (taken.Before(_pending), new Pending());
            Volatile.Write(ref _failing, true);
            throw;
        }
        Volatile.Write(ref _failing, false);
        bool drained;
        lock (_queue)
        {
            _ackDue.UnionWith(taken.Agents);
            _inFlight = new Pending();
            drained = _dropping && HasRoom;
            if (drained) _dropping = false;
        }
        if (drained)
            log.LogInformation("store backlog below {MaxQueuedPassages} passages again: {Dropped} passages dropped so far, {Recovered} recovered from re-sends",
                maxQueuedPassages, PassagesDropped, PassagesRecovered);
        if (taken.Alarms.Count > 0) alarmsStored(taken.Alarms);
        foreach (var callback in taken.AfterStored) callback(null);
    }

    /// <summary>
    /// Sends the acknowledgements due without waiting for the broker (a slow broker must not hold up
    /// the next commit); returns how long until one held back for <see cref="AckEvery"/> falls due.
    /// </summary>
    private TimeSpan PublishAcks()
    {
        HashSet<(string Site, string Agent)> due;
        lock (_queue) (due, _ackDue) = (_ackDue, []);
        var next = Timeout.InfiniteTimeSpan;
        List<(string Site, string Agent)>? ready = null;
        foreach (var target in due)
        {
            var since = _lastAck.TryGetValue(target, out var last) ? Stopwatch.GetElapsedTime(last) : TimeSpan.MaxValue;
            if (since < AckEvery)
            {
                lock (_queue) _ackDue.Add(target);
                if (next == Timeout.InfiniteTimeSpan || AckEvery - since < next) next = AckEvery - since;
                continue;
            }
            (ready ??= []).Add(target);
        }
        if (ready is null) return next;
        IReadOnlyDictionary<string, StoredSeqs> stored;
        try { stored = store.StoredSeqsOf(ready.Select(t => t.Agent)); }
        catch
        {
            // Owed again after the next commit (an agent acknowledged twice is no harm).
            lock (_queue) _ackDue.UnionWith(ready);
            throw;
        }
        foreach (var target in ready)
        {
            var (site, agent) = target;
            _lastAck[target] = Stopwatch.GetTimestamp();
            var seqs = stored[agent];
            lock (_queue) _handledThrough[agent] = Math.Max(_handledThrough.GetValueOrDefault(agent), seqs.Through);
            // The service's clock as the acknowledgement leaves (after the store's answer, not before): agents set their clocks by it.
            var ack = new AgentAck { AgentId = agent, StoredThroughSeq = seqs.Through, HighestSeq = seqs.Highest, At = clock.GetUtcNow() };
            // Not sent: the agent keeps its outbox and sends again, and the next commit acknowledges again.
            void Unsent(string error) => log.LogWarning("could not acknowledge agent {Agent}: {Error}", agent, error);
            if (!FireAndObserve.TryPublish(mqtt, Topics.AgentAck(site, agent), Encoding.UTF8.GetBytes(TunnelJson.Serialize(ack)), retain: true, error => Unsent(error.Message), out var refused))
                Unsent(refused!);
        }
        return next;
    }

    private sealed class Pending
    {
        public List<(Passage, DateTimeOffset)> Passages { get; private init; } = [];
        public List<(DeadLetter, long?)> DeadLetters { get; private init; } = [];
        public List<(string AgentId, long Seq)> HandledSeqs { get; private init; } = [];
        public List<(string AgentId, long Through)> ConfirmedThrough { get; private init; } = [];
        public List<TransitRecord> Transits { get; private init; } = [];
        public List<AlarmTransition> Alarms { get; private init; } = [];
        public List<AlarmTransition> PublishedAlarms { get; private init; } = [];
        /// <summary>Told once this batch is stored; not counted: they are no rows.</summary>
        public List<Action<Exception?>> AfterStored { get; private init; } = [];
        public HashSet<(string Site, string Agent)> Agents { get; private init; } = [];
        /// <summary>Rows to write (the backlog); handled seqs are none, but still need a commit.</summary>
        public int Count => Passages.Count + DeadLetters.Count + Transits.Count + Alarms.Count + PublishedAlarms.Count;

        public Pending Before(Pending later) => new()
        {
            Passages = [.. Passages, .. later.Passages],
            DeadLetters = [.. DeadLetters, .. later.DeadLetters],
            HandledSeqs = [.. HandledSeqs, .. later.HandledSeqs],
            ConfirmedThrough = [.. ConfirmedThrough, .. later.ConfirmedThrough],
            Transits = [.. Transits, .. later.Transits],
            Alarms = [.. Alarms, .. later.Alarms],
            PublishedAlarms = [.. PublishedAlarms, .. later.PublishedAlarms],
            AfterStored = [.. AfterStored, .. later.AfterStored],
            Agents = [.. Agents, .. later.Agents],
        };
    }
}
