using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Alarms;
using Tunnel.Central.Engine;
using Tunnel.Central.Overdue;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Core.Validation;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// The live central service: MQTT in, validated passages decided by the engine on the service clock
/// and stored right behind it (<see cref="WriteBehind"/>), alarm transitions stored and published,
/// and an end-to-end acknowledgement to every agent once its passages are safely stored. One turn at
/// a time owns the engine (messages are mostly taken on the MQTT network thread, commands and ticks on
/// the loop's); everything else talks to it through <see cref="Post"/>.
/// </summary>
public sealed class CentralService
{
    private static readonly TimeSpan TickEvery = TimeSpan.FromMilliseconds(250);
    // Screens poll the snapshot (every second by default, 100 ms at the most; alarms reach them at once on
    // their own): built more often, it is work nobody sees, and at 2,000 passages/s the turns that built it
    // were a fifth of those whose decisions took over 5 ms. An operator's action and an announced alarm
    // still rebuild it at once.
    private static readonly TimeSpan SnapshotEvery = TimeSpan.FromMilliseconds(250);
    private const int MaxBatch = 500;

    private SitesFile _sites;
    private readonly TunnelStore _store;
    private readonly BrokerConnection _mqtt;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    // Each command runs on the loop and hands back how to tell its caller, which happens once its transitions are stored.
    // A command's answer, if it has one, is told whether what the command caused was stored (null) or why not.
    private readonly Channel<Func<CentralService, DateTimeOffset, Action<Exception?>?>> _commands = Channel.CreateUnbounded<Func<CentralService, DateTimeOffset, Action<Exception?>?>>();
    private readonly List<AlarmTransition> _pendingAlarms = [];
    private readonly List<AlarmTransition> _unpublished = [];
    // Sent on a client that was then replaced before the broker took them (numbered in the order sent): they go again, first.
    private readonly ConcurrentQueue<(long Order, AlarmTransition Transition)> _sentOnLostClient = new();
    private long _alarmsSent;
    private readonly AgentWatch _agents = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Wakes the loop's thread: messages (from the MQTT client's network thread), commands, ticks.
    private readonly LoopSignal _signal = new();
    // Set by the tick timer, taken by the loop.
    private int _tickDue;
    // Held for a turn, whichever thread runs it (the loop's, or the MQTT network thread's for messages): the engine has one owner at a time.
    private readonly Lock _turn = new();
    // Messages taken and not yet handled (a failed turn's, until its retry); under _turn.
    private readonly List<MqttMessage> _batch = new(MaxBatch);
    // Whether the network thread may run a turn: only while the loop runs.
    private bool _inlineTurns;
    // A turn failed: messages wait for the next tick.
    private bool _holdUntilTick;
    private TunnelEngine _engine;
    private PassageIngest _ingest;
    private PassageValidator _validator;
    private readonly SnapshotStore? _snapshots;
    private readonly SnapshotIntake? _snapshotIntake;
    private readonly WriteBehind _writer;
    private long _snapshotAt;

    public CentralService(SitesFile sites, TunnelStore store, BrokerConnection mqtt, DetectorSettings settings, TimeProvider clock,
        ILogger<CentralService> log, PassageValidatorOptions? validation = null, SnapshotStore? snapshots = null)
    {
        _snapshots = snapshots;
        _snapshotIntake = snapshots is null ? null : new SnapshotIntake(snapshots);
        _sites = sites;
        _store = store;
        _mqtt = mqtt;
        _clock = clock;
        _log = log;
        Settings = settings;
        _validator = new PassageValidator(sites, validation);
        _engine = new TunnelEngine(sites, settings, _pendingAlarms.Add);
        // Stored alarms are announced on the loop's next turn, which owns the outputs.
        _writer = new WriteBehind(store, mqtt, clock, log, stored => Enqueue((service, now) =>
        {
            service.Announce(stored, now);
            return null;
        }));
        _ingest = new PassageIngest(_validator, store, _engine, _writer);
    }

    public DetectorSettings Settings { get; }
    public TimeSpan RebuildWindow { get; init; } = TimeSpan.FromHours(12);
    /// <summary>How long an agent must stay offline before its alarm is raised (zero: at once).</summary>
    public TimeSpan AgentOfflineDelay { get => _agents.OfflineDelay; init => _agents.OfflineDelay = value; }
    /// <summary>How long an agent that said it is online may send no status before it counts as going offline.</summary>
    public TimeSpan AgentSilentAfter { get => _agents.SilentAfter; init => _agents.SilentAfter = value; }
    /// <summary>Completes when the state is rebuilt and the subscriptions are in place.</summary>
    public Task Ready => _ready.Task;
    /// <summary>A consistent picture of every bore, refreshed by the loop; safe to read from any thread.</summary>
    public CentralSnapshot Snapshot { get; private set; } = CentralSnapshot.Empty;
    public PassageValidator Validator => _validator;
    /// <summary>The sites file in force: the one given at start, or the last accepted by <see cref="ReconfigureAsync"/>.</summary>
    public SitesFile Sites => _sites;
    public PassageIngest Ingest => _ingest;

    /// <summary>Raised on the loop thread after a transition is stored.</summary>
    public event Action<AlarmTransition>? AlarmChanged;

    /// <summary>
    /// Raised with the passages the engine has just taken (their store write follows), on whichever thread
    /// ran the turn (the loop's, or the MQTT client's network thread), never on two at once.
    /// </summary>
    public event Action<IReadOnlyList<DecidedPassage>>? PassagesDecided;

    /// <summary>
    /// Runs <paramref name="work"/> on the loop (the only thread that may touch the engine); completes
    /// once the alarm transitions it caused are stored, so a caller reading the store sees them.
    /// </summary>
    public Task<T> Post<T>(Func<TunnelEngine, DateTimeOffset, T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue((service, now) =>
        {
            try
            {
                var result = work(service._engine, now);
                return notStored =>
                {
                    if (notStored is null) done.TrySetResult(result);
                    else done.TrySetException(notStored);
                };
            }
            catch (Exception e) { return _ => done.TrySetException(e); }
        });
        return done.Task;
    }

    private void Enqueue(Func<CentralService, DateTimeOffset, Action<Exception?>?> command)
    {
        _commands.Writer.TryWrite(command);
        _signal.Set();
    }

    public Task AcknowledgeAsync(Guid alarmId, string by, string? note) =>
        Post((engine, now) => { engine.Alarms.Acknowledge(alarmId, by, note, now); return true; });

    public Task ShelveAsync(Guid alarmId, string by, string reason, DateTimeOffset until) =>
        Post((engine, now) => { engine.Alarms.Shelve(alarmId, by, reason, until, now); return true; });

    public Task UnshelveAsync(Guid alarmId, string by, string? note) =>
        Post((engine, now) => { engine.Alarms.Unshelve(alarmId, by, note, now); return true; });

    public Task AddNoteAsync(Guid alarmId, string by, string note) =>
        Post((engine, now) => { engine.Alarms.AddNote(alarmId, by, note, now); return true; });

    /// <summary>
    /// An operator saw the vehicle of an overdue alarm leave, or found it gone (<see cref="TunnelEngine.SeenLeaving(Guid, string, string?, DateTimeOffset)"/>):
    /// the alarm closes, and the vehicles it named leave the list inside, for good: stored once the alarm's transitions are, so a
    /// restart's rebuild takes them out again. Returns the vehicles taken out.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> SeenLeavingAsync(Guid alarmId, string by, string? note)
    {
        var (at, (bore, gone)) = await Post((engine, now) => (now, engine.SeenLeaving(alarmId, by, note, now)));
        if (gone.Count > 0) _store.AddVehiclesSeenLeaving(gone.Select(entry => new VehicleSeenLeaving(entry, bore, alarmId, at, by)).ToList());
        return gone;
    }

    /// <summary>
    /// Takes a new sites file at run time, on the loop: new bores are watched at once, the validator
    /// accepts (and refuses) passages by the new file, and a bore whose length, speed limit or lanes
    /// changed is rebuilt from the stored passages like after a restart (its vehicles and alarms
    /// kept). Refused, with the reasons and nothing changed, when the file is invalid, when a retired
    /// bore still has vehicles inside or open alarms, or when fewer lanes would strand vehicles inside.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReconfigureAsync(SitesFile sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var invalid = sites.Validate();
        if (invalid.Count > 0) return invalid;
        return await Post((_, now) => Reconfigure(sites));
    }

    private IReadOnlyList<string> Reconfigure(SitesFile sites)
    {
        static Dictionary<BoreKey, BoreConfig> Bores(SitesFile f) => f.AllBores().ToDictionary(x => new BoreKey(x.Site.Id, x.Bore.Id), x => x.Bore);
        var before = Bores(_sites);
        var after = Bores(sites);
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).ToList();
        var added = after.Where(kv => !before.ContainsKey(kv.Key)).ToList();
        // Cameras live in the validator and the broker, not in the engine: renaming or retiring one rebuilds nothing.
        var changed = after.Keys.Where(k => before.TryGetValue(k, out var old) && old with { Cameras = null } != after[k] with { Cameras = null }).ToList();

        var errors = removed.Select(k => _engine.WhyBusy(k)).OfType<string>().ToList();
        foreach (var key in changed)
        {
            var lanes = after[key].Lanes;
            var stranded = _engine.Bores.TryGetValue(key, out var bore) ? bore.Matcher.AllOpen.Count(t => t.Lane > lanes) : 0;
            if (stranded > 0) errors.Add($"bore '{key}' has {stranded} vehicle(s) inside in lanes above {lanes}; reduce the lanes once they have left");
        }
        if (errors.Count > 0) return errors;

        _sites = sites;
        _validator = new PassageValidator(sites, _validator.Options);
        if (changed.Count > 0)
        {
            // A bore's lanes and prior transit time are fixed when it is built: build again from the store.
            Rebuild();
        }
        else
        {
            foreach (var key in removed) _engine.RemoveBore(key);
            foreach (var (key, config) in added) _engine.AddBore(key, config);
            _ingest = _ingest.Over(_validator, _engine);
        }
        _log.LogInformation("sites changed: {Added} bore(s) added, {Changed} changed, {Removed} retired", added.Count, changed.Count, removed.Count);
        return [];
    }

    public async Task RunAsync(CancellationToken ct)
    {
        // Stored before the last stop and never accepted by the broker: they go first, in the order they were stored.
        _unpublished.AddRange(_store.UnpublishedAlarms());
        Rebuild();
        _mqtt.MessageQueued = OnMessageQueued;
        await _mqtt.SubscribeAsync(Topics.AllPassages, 1, ct);
        await _mqtt.SubscribeAsync(Topics.AllAgentStatus, 1, ct);
        if (_snapshots is not null) await _mqtt.SubscribeAsync(Topics.AllSnapshots, 1, ct);
        _ready.TrySetResult();
        _log.LogInformation("central service ready: {Bores} bores, {Inside} vehicles inside after rebuild",
            _engine.Bores.Count, _engine.Bores.Values.Sum(b => b.Matcher.OpenCount));

        // The writer stops after the loop, not with it: its last write then holds everything the loop decided, the last turn's
        // too, and what the service counted as accepted is what the store holds.
        using var loopEnded = new CancellationTokenSource();
        var writing = _writer.RunAsync(loopEnded.Token);
        // The loop has a thread of its own, asleep on the kernel between turns: as continuations on the
        // thread pool, every message woke a pool thread, which then spun looking for more work, and
        // on two cores that spinning took the CPU the MQTT threads needed.
        try { await OwnThread.Run("central loop", () => Loop(ct)); }
        finally
        {
            await loopEnded.CancelAsync();
            await writing;
        }
    }

    private void Loop(CancellationToken ct)
    {
        using var cancelled = ct.Register(_signal.Set);
        using var ticker = _clock.CreateTimer(_ =>
        {
            Volatile.Write(ref _tickDue, 1);
            _signal.Set();
        }, null, TickEvery, TickEvery);
        var messages = _mqtt.Messages;
        var answers = new List<Action<Exception?>>();
        var commands = _commands.Reader;
        // After a failed turn only the tick (or the end) brings the next one: its batch is retried then, not at once.
        Func<bool> hasWork = () => ct.IsCancellationRequested || Volatile.Read(ref _tickDue) != 0
            || (!Volatile.Read(ref _holdUntilTick) && (_batch.Count > 0 || messages.TryPeek(out _) || commands.TryPeek(out _)));
        Volatile.Write(ref _inlineTurns, true);
        try
        {
            while (true)
            {
                _signal.WaitFor(hasWork);
                if (ct.IsCancellationRequested) break;
                // Answers a failed turn could not hand on stay for the next one: an operator hears only of what is stored.
                lock (_turn) Turn(answers);
            }
        }
        finally
        {
            // From here on nothing may touch the engine from the network thread: the writer makes its last write next.
            lock (_turn)
            {
                Volatile.Write(ref _inlineTurns, false);
                // The last picture has everything the service took: a summary read after the stop counts it all.
                TakeSnapshot(_clock.GetUtcNow());
            }
            // The writer's last commit on its way out answers them.
            if (answers.Count > 0) _writer.AfterStored([.. answers]);
        }
    }

    /// <summary>
    /// Runs on libmosquitto's network thread right after a message is queued: when no turn is under way
    /// it takes the messages at once, right there. Handing each message to the loop's thread cost a
    /// kernel wake-up and two context switches per passage, and on two busy cores the woken thread
    /// often waited milliseconds for a CPU. Commands and ticks stay with the loop's thread; a message
    /// that meets a turn under way (or a batch awaiting its retry) is left to the loop.
    /// </summary>
    private void OnMessageQueued()
    {
        if (!Volatile.Read(ref _inlineTurns) || Volatile.Read(ref _holdUntilTick) || !_turn.TryEnter())
        {
            _signal.Set();
            return;
        }
        try
        {
            // Checked again under the lock: the loop may have ended, or a turn failed, since.
            if (_inlineTurns && !_holdUntilTick)
            {
                Turn(answers: null);
                // More than a batch was waiting (the loop had been busy): the rest is the loop's.
                if (_mqtt.Messages.TryPeek(out _)) _signal.Set();
            }
            else _signal.Set();
        }
        finally { _turn.Exit(); }
    }

    /// <summary>
    /// One turn, under <see cref="_turn"/>: the messages queued (at most a batch), then, on the loop's
    /// thread (<paramref name="answers"/> given), the commands and the tick; then the alarms, the
    /// acknowledgements owed and the screens' snapshot. A turn that fails keeps its batch for the next tick.
    /// </summary>
    private void Turn(List<Action<Exception?>>? answers)
    {
        var now = _clock.GetUtcNow();
        IReadOnlyCollection<(string Site, string Agent)> owed = [];
        var onLoop = answers is not null;
        try
        {
            var tick = onLoop && Interlocked.Exchange(ref _tickDue, 0) != 0;
            if (tick) Volatile.Write(ref _holdUntilTick, false);
            if (!_holdUntilTick)
            {
                while (_batch.Count < MaxBatch && _mqtt.Messages.TryRead(out var m)) _batch.Add(m);
                // A batch whose turn failed stays here and is tried again on the next tick (the engine drops what it took).
                // Its failure must not hold up the clock, the timers and the operators' commands that follow.
                if (_batch.Count > 0)
                {
                    try
                    {
                        owed = HandleBatch(_batch, now);
                        _batch.Clear();
                    }
                    catch (Exception e) when (e is not OperationCanceledException) { TurnFailed(e); }
                }
            }
            if (onLoop)
            {
                while (_commands.Reader.TryRead(out var work))
                {
                    // Announcing stored alarms answers nobody.
                    if (work(this, now) is { } answer) answers!.Add(answer);
                }
                if (tick)
                {
                    _engine.AdvanceTo(now);
                    if (_engine.TimerFaults > _timerFaultsLogged)
                    {
                        _timerFaultsLogged = _engine.TimerFaults;
                        _log.LogError("engine timer work failed ({Faults} so far), the clock moved on: {Fault}", _engine.TimerFaults, _engine.LastTimerFault);
                    }
                    _agents.Tick(now, _sites, _engine.Alarms);
                }
            }
            var waiting = answers is { Count: > 0 };
            FlushAlarms();
            if (waiting)
            {
                // Answered by the writer once what the commands caused is stored: a store that is locked or slow holds up
                // the operator's answer, never the loop's next decision.
                _writer.AfterStored([.. answers!]);
                answers!.Clear();
            }
            _writer.Acknowledge(owed);
            if (waiting || Stopwatch.GetElapsedTime(_snapshotAt) >= SnapshotEvery) TakeSnapshot(now);
        }
        catch (Exception e) when (e is not OperationCanceledException) { TurnFailed(e); }
    }

    /// <summary>One bad turn (a database hiccup, a bug on one passage) must not stop the control room's service.</summary>
    private void TurnFailed(Exception e)
    {
        LoopErrors++;
        _log.LogError(e, "central loop turn failed ({Errors} so far); {Pending} messages kept for retry", LoopErrors, _batch.Count);
        // Try again on the next tick, not at once.
        Volatile.Write(ref _tickDue, 0);
        Volatile.Write(ref _holdUntilTick, true);
    }

    /// <summary>Real time since the loop last finished a turn, which it does at every tick: a loop stuck on something shows here.</summary>
    public TimeSpan SinceLastTurn => Stopwatch.GetElapsedTime(Volatile.Read(ref _snapshotAt));
    /// <summary>The store's last write failed (down, locked by another writer, full): passages are decided but not yet kept.</summary>
    public bool StoreFailing => _writer.Failing;

    /// <summary>Timer work of the engine (a bore's tick, a vehicle's look) that threw; exposed on /metrics.</summary>
    public long TimerFaults => _engine.TimerFaults;
    private long _timerFaultsLogged;

    /// <summary>Loop turns that failed and were retried; exposed on /metrics.</summary>
    public long LoopErrors { get; private set; }
    /// <summary>Transactions (each one disk sync) the writer behind the engine has committed.</summary>
    public long StoreCommits => _writer.Commits;
    /// <summary>Store writes behind the engine that failed and were retried; exposed on /metrics.</summary>
    public long StoreWriteErrors => _writer.Failures;
    /// <summary>Decided passages not kept for storing while the store was down (their agents send them again); exposed on /metrics.</summary>
    public long StorePassagesDropped => _writer.PassagesDropped;
    /// <summary>Dropped passages stored after all, from their agents' re-sends; exposed on /metrics.</summary>
    public long StorePassagesRecovered => _writer.PassagesRecovered;
    /// <summary>Dropped passages whose ids were forgotten in a very long outage (their re-sends are all offered to the store); exposed on /metrics.</summary>
    public long StoreDroppedIdsForgotten => _writer.DroppedIdsForgotten;
    /// <summary>Dead letters kept without their payload, their source over its budget; exposed on /metrics.</summary>
    public long DeadLetterPayloadsDropped => _writer.DeadLetterPayloadsDropped;
    /// <summary>Seqs agents hold no more that the store never had (an outbox file or a database lost); exposed on /metrics.</summary>
    public long SeqsNoLongerAwaited => _writer.SeqsNoLongerAwaited;

    /// <summary>Takes a batch of messages; returns the agents owed an acknowledgement once it is stored.</summary>
    private IReadOnlyCollection<(string Site, string Agent)> HandleBatch(List<MqttMessage> batch, DateTimeOffset now)
    {
        var passages = new List<MqttMessage>(batch.Count);
        List<AgentStatus>? statuses = null;
        HashSet<(string Site, string Agent)>? statusSenders = null;
        foreach (var m in batch)
        {
            if (Topics.IsAgentStatus(m.Topic, out var site, out var agentId))
            {
                if (OnAgentStatus(site, agentId, m, now) is not { } status) continue;
                (statuses ??= []).Add(status);
                if (status.ConfirmedThrough is { } confirmed) _writer.AgentConfirmedThrough(agentId, confirmed);
                // Acknowledged too: the acknowledgement carries the service's time, which the agent stamps its passages
                // with, and it should have it within moments of connecting, before its first passage.
                if (status.Online) (statusSenders ??= []).Add((site, agentId));
            }
            else if (Topics.IsSnapshot(m.Topic, out var snapshot)) OnSnapshot(snapshot, m, now, claimsDue: passages.Count);
            else passages.Add(m);
        }
        if (passages.Count == 0)
        {
            TakeLastSeqs(statuses, now);
            return statusSenders ?? [];
        }
        var result = _ingest.Ingest(passages, now);
        if (_snapshotIntake is not null) foreach (var eventId in result.Valid) _snapshotIntake.Claim(eventId);
        // After the passages of the same batch: a status follows the passages its agent sent before it.
        TakeLastSeqs(statuses, now);
        if (result.Decided.Count > 0) PassagesDecided?.Invoke(result.Decided);
        if (statusSenders is null) return result.Agents;
        statusSenders.UnionWith(result.Agents);
        return statusSenders;
    }

    private void OnSnapshot(SnapshotTopic snapshot, MqttMessage m, DateTimeOffset now, int claimsDue)
    {
        var eventId = snapshot.EventId;
        SnapshotIntake.Refusal? refused;
        try { refused = _snapshotIntake!.Take(snapshot, m.Payload, _sites, now, claimsDue); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a folder the service may not write costs the picture, never the passage (nor the turn).
            _log.LogWarning("snapshot {EventId} not kept: {Error}", eventId, e.Message);
            return;
        }
        // Through the dead letters' budget: a flood keeps the payloads of its first few a minute, the rest by size only.
        if (refused is not null)
            _writer.AddDeadLetter(new DeadLetter { ReceivedAt = now, Topic = m.Topic, ReasonCode = refused.Code, Reason = refused.Reason, Payload = m.Payload }, seq: null);
    }

    /// <summary>An exit agent's last sequence number tells the engine which of its passages are late.</summary>
    private void TakeLastSeqs(List<AgentStatus>? statuses, DateTimeOffset now)
    {
        if (statuses is null) return;
        foreach (var status in statuses)
        {
            // As for a passage: a fault in the engine on one status must not cost the rest of the batch its turn.
            try { _engine.Process(status, now); }
            catch (Exception e) when (e is not OutOfMemoryException) { _log.LogError(e, "agent status of {Agent} not taken", status.AgentId); }
        }
    }

    /// <summary>Keeps an agent's status and raises or clears its agent-offline alarm; the status, or null if it was dead-lettered.</summary>
    private AgentStatus? OnAgentStatus(string site, string agentId, MqttMessage m, DateTimeOffset now)
    {
        AgentStatus? status;
        try { status = TunnelJson.Deserialize<AgentStatus>(Encoding.UTF8.GetString(m.Payload)); }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            _writer.AddDeadLetter(new DeadLetter { ReceivedAt = now, Topic = m.Topic, AgentId = agentId, ReasonCode = "bad-status", Reason = e.Message, Payload = m.Payload }, seq: null);
            return null;
        }
        if (status is null || status.AgentId != agentId)
        {
            _writer.AddDeadLetter(new DeadLetter { ReceivedAt = now, Topic = m.Topic, AgentId = agentId, ReasonCode = "bad-status", Reason = "status agentId disagrees with its topic", Payload = m.Payload }, seq: null);
            return null;
        }
        return _agents.Heard(site, status, now, _sites, _engine.Alarms);
    }

    /// <summary>
    /// Queues the turn's alarm transitions to the writer, behind the passages that raised (or cleared)
    /// them: a disk sync on the loop would hold up every decision behind it. Then sends what is stored and not
    /// yet published.
    /// </summary>
    private void FlushAlarms()
    {
        HandTurnToWriter();
        if (!_sentOnLostClient.IsEmpty)
        {
            var lost = new List<(long Order, AlarmTransition Transition)>();
            while (_sentOnLostClient.TryDequeue(out var item)) lost.Add(item);
            _unpublished.InsertRange(0, lost.OrderBy(l => l.Order).Select(l => l.Transition));
        }
        var sent = 0;
        while (sent < _unpublished.Count && _mqtt.IsConnected)
        {
            var t = _unpublished[sent];
            var order = _alarmsSent++;
            var payload = Encoding.UTF8.GetBytes(TunnelJson.Serialize(t));
            if (payload.Length > MaxAlarmBytes)
            {
                // No broker would ever take it, and the alarms behind it would wait for good: stored and on the
                // console, it is left off MQTT.
                _log.LogError("alarm {AlarmId} not published: {Bytes} bytes, over {Max}", t.AlarmId, payload.Length, MaxAlarmBytes);
                _writer.AddPublished(t);
                sent++;
                continue;
            }
            // Stored already; what cannot go out now goes when the broker is back, or after a restart if the broker never took it.
            if (!FireAndObserve.TryPublish(_mqtt, Topics.Alarms(t.Site), payload, retain: false, error =>
                    {
                        _log.LogWarning("alarm {AlarmId} not published: {Error}", t.AlarmId, error.Message);
                        // Refused by the broker itself (its ACL, say): sending it again at every start would change nothing.
                        if (error is MqttException { ReasonCode: not null }) _writer.AddPublished(t);
                        // Its client went first (replaced after its connection ended for good): the next turn sends it on the new one.
                        else _sentOnLostClient.Enqueue((order, t));
                    }, out var refused,
                    accepted: () => _writer.AddPublished(t)))
            {
                _log.LogWarning("alarm publish deferred: {Error}", refused);
                break;
            }
            sent++;
        }
        _unpublished.RemoveRange(0, sent);
    }

    /// <summary>Far above any alarm the service makes (about 1 KB), and below any broker's packet limit.</summary>
    private const int MaxAlarmBytes = 64 * 1024;

    private void TakeSnapshot(DateTimeOffset now)
    {
        Snapshot = CentralSnapshot.Of(_engine, _agents.Latest, _ingest, _validator, _snapshotIntake?.Refused, _writer.Backlog, now);
        Volatile.Write(ref _snapshotAt, Stopwatch.GetTimestamp());
    }

    /// <summary>Alarm transitions the writer has stored: logged, handed to the console, published next.</summary>
    private void Announce(IReadOnlyList<AlarmTransition> stored, DateTimeOffset now)
    {
        // Whoever hears of an alarm and then asks for the open alarms (the API, a screen) finds it there.
        TakeSnapshot(now);
        foreach (var t in stored)
        {
            // A journal keeps the log past the plate retention: no plate in it, nor in an operator's words (a shelve's reason).
            _log.LogInformation("alarm {Kind} {State} {Priority} {Site}/{Bore} plate {Plate}: {Reason}",
                TunnelJson.Name(t.Kind), TunnelJson.Name(t.State), TunnelJson.Name(t.Priority), t.Site, t.Bore, PlateMask.Apply(t.Plate, visible: false) ?? "-",
                t.Reason is null ? null : PlateMask.InText(t.Reason, visible: false));
            AlarmChanged?.Invoke(t);
        }
        _unpublished.AddRange(stored);
    }

    /// <summary>Ended transits go to the store for reports (transit times, incidents); open ones are rebuilt from passages.</summary>
    /// <summary>The turn's ended transits and alarm transitions go to the writer, behind the passages that caused them.</summary>
    private void HandTurnToWriter()
    {
        StoreEndedTransits();
        if (_pendingAlarms.Count == 0) return;
        _writer.AddAlarms(_pendingAlarms);
        _pendingAlarms.Clear();
    }

    private void StoreEndedTransits()
    {
        if (_engine.EndedTransits.Count == 0) return;
        _writer.AddTransits(_engine.EndedTransits.Select(e => new TransitRecord
        {
            EntryEventId = e.Transit.EntryEventId, Site = e.Bore.Site, Bore = e.Bore.Bore, Lane = e.Transit.Lane,
            Plate = e.Transit.Plate?.Text, PlateColor = e.Transit.Plate?.Color, VehicleClass = e.Transit.Class, Hazmat = e.Transit.Hazmat,
            EnteredAt = e.Transit.EnteredAt, ExitEventId = e.Transit.ExitEventId, ExitedAt = e.Transit.ExitedAt,
            TransitSeconds = e.Transit.ExitedAt is { } exited ? Math.Round((exited - e.Transit.EnteredAt).TotalSeconds, 3) : null,
            Status = TunnelJson.Name(e.Transit.Match) + (e.Transit.AlarmId is null ? "" : TransitRecord.OverdueMark),
        }).ToList());
        _engine.EndedTransits.Clear();
    }

    /// <summary>
    /// What only an alarm's stored history tells: when it was first raised (its first transition; the current one may be an
    /// acknowledgement, a note), and, while it is shelved, the state it was shelved
    /// from (an operator lifting the shelf after a restart gets it back as acknowledged as it was).
    /// </summary>
    private (DateTimeOffset RaisedAt, AlarmState? ShelvedFrom) Recall(AlarmTransition known)
    {
        var history = _store.AlarmHistory(known.AlarmId);
        var raisedAt = history is [var first, ..] ? first.At : known.At;
        if (known.State != AlarmState.Shelved) return (raisedAt, null);
        // A shelved alarm repeats its state for a note or a clearing: the state before the last run of shelved ones.
        var i = history.Count - 1;
        while (i >= 0 && history[i].State == AlarmState.Shelved) i--;
        return (raisedAt, i >= 0 ? history[i].State : null);
    }

    private static Matching.Transit? StillInside(TunnelEngine engine, AlarmTransition alarm) =>
        alarm.EntryEventId is { } entry && engine.Bores.GetValueOrDefault(new BoreKey(alarm.Site, alarm.Bore)) is { } bore
            ? bore.Matcher.AllOpen.FirstOrDefault(t => t.EntryEventId == entry)
            : null;

    /// <summary>
    /// Rebuilds the vehicles inside from the stored passages after a restart, on event time, then
    /// reconciles the alarms that rebuild raises with the stored ones: operator actions (acknowledged,
    /// shelved) are kept, alarms that arose while the service was down are raised now, and stored
    /// alarms whose vehicle left meanwhile are cleared.
    /// </summary>
    private void Rebuild()
    {
        // What the engine took but the store does not have yet would be missing from the rebuild: this turn's alarm
        // transitions too (an acknowledgement would be lost, a raise raised again).
        HandTurnToWriter();
        _writer.Flush();
        var now = _clock.GetUtcNow();
        var rebuilt = new List<AlarmTransition>();
        var engine = new TunnelEngine(_sites, Settings, rebuilt.Add);
        var watermark = DateTimeOffset.MinValue;
        long count = 0;
        // Vehicles operators saw leave where no camera did go out as they did, between the passages around that moment.
        var seenLeaving = _store.VehiclesSeenLeavingSince(now - RebuildWindow);
        var seen = 0;
        foreach (var row in _store.ReadPassages(now - RebuildWindow))
        {
            if (row.Passage.CapturedAt > watermark) watermark = row.Passage.CapturedAt;
            SeenLeavingUntil(watermark);
            engine.Process(row.Passage, watermark);
            count++;
        }
        SeenLeavingUntil(DateTimeOffset.MaxValue);
        engine.AdvanceTo(now);

        engine.Alarms.Sink = _pendingAlarms.Add;
        var stored = _store.CurrentAlarms().ToDictionary(a => a.AlarmId);
        // Closed after it was raised, so within the window the rebuild replays.
        var closed = _store.ClosedAlarmIds(now - RebuildWindow);
        foreach (var known in stored.Values.Where(a => a.Kind == AlarmKind.Congestion))
            engine.Bores.GetValueOrDefault(new BoreKey(known.Site, known.Bore))?.AdoptCongestionAlarm(known.AlarmId);
        foreach (var alarm in engine.Alarms.Open.ToList())
        {
            // Replayed from the stored passages, but an operator closed it long since: it stays closed, off the wall.
            if (closed.Contains(alarm.Id))
            {
                engine.Alarms.Forget(alarm.Id);
                continue;
            }
            if (stored.Remove(alarm.Id, out var known))
            {
                // Operator actions live only in the store, and so does the moment it was raised (a replay with
                // changed bore settings weighs the evidence anew and raises it at another moment).
                var clearedInReplay = !alarm.ConditionActive;
                (alarm.RaisedAt, alarm.ShelvedFrom) = Recall(known);
                if (StillInside(engine, known) is { } inside) inside.AlarmRaisedAt = alarm.RaisedAt;
                alarm.State = known.State;
                alarm.Priority = known.Priority;
                alarm.ShelvedUntil = known.ShelvedUntil;
                // The replay saw the vehicle leave, but its clearing never reached the store (the service stopped between
                // storing the exit and storing the clear): cleared now, or it would stand on the wall for good, active
                // and acknowledged, with nothing left to acknowledge and no exit to come.
                if (clearedInReplay && known.State != AlarmState.ClearedUnacknowledged)
                {
                    alarm.ConditionActive = true;
                    engine.Alarms.ConditionCleared(alarm.Id, now, AlarmReason.LeftWhileDown());
                }
            }
            else
            {
                // Arose while the service was down (or its raise was lost in a crash): raise it now.
                _pendingAlarms.AddRange(rebuilt.Where(t => t.AlarmId == alarm.Id));
            }
        }
        foreach (var known in stored.Values)
        {
            var (raisedAt, shelvedFrom) = Recall(known);
            engine.Alarms.Restore(new Alarm
            {
                Id = known.AlarmId, Kind = known.Kind, Bore = new BoreKey(known.Site, known.Bore), Priority = known.Priority,
                State = known.State, RaisedAt = raisedAt, ShelvedUntil = known.ShelvedUntil, ShelvedFrom = shelvedFrom, Raised = known,
                ConditionActive = known.State != AlarmState.ClearedUnacknowledged,
            });
            if (known.Kind == AlarmKind.AgentOffline && known.AgentId is { } agent) _agents.Restored(agent, known.AlarmId);
            // Not raised again, yet its vehicle is still inside (a rebuild with changed bore settings weighs
            // the evidence anew): the alarm stands, and the vehicle's exit will clear it as usual.
            if (known.Kind == AlarmKind.Overdue && StillInside(engine, known) is { } transit)
            {
                transit.AlarmId = known.AlarmId;
                transit.AlarmRaisedAt = raisedAt;
                continue;
            }
            if (known.Kind != AlarmKind.Overdue || known.EnteredAt is not { } entered) continue;
            // Inside for longer than the engine follows a vehicle: running, it would have given up on it meanwhile (untracked).
            // Left open, nothing would ever clear it: its exit, if one comes, finds no transit to close.
            if (now - entered > Settings.MaxTracked)
                engine.Alarms.ConditionCleared(known.AlarmId, now, AlarmReason.Untracked(Settings.MaxTracked));
            // An overdue alarm the rebuild did not raise again: its vehicle left while we were down.
            // (Unless it entered before the rebuild window, where the rebuild cannot tell.)
            else if (entered >= now - RebuildWindow)
                engine.Alarms.ConditionCleared(known.AlarmId, now, AlarmReason.LeftWhileDown());
        }
        _engine = engine;
        _timerFaultsLogged = 0;
        _ingest = _ingest.Over(_validator, _engine);
        _log.LogInformation("rebuilt from {Count} stored passages since {Since:u}", count, now - RebuildWindow);

        void SeenLeavingUntil(DateTimeOffset until)
        {
            for (; seen < seenLeaving.Count && seenLeaving[seen].At <= until; seen++)
                engine.SeenLeaving(seenLeaving[seen].Bore, seenLeaving[seen].EntryEventId, seenLeaving[seen].At);
        }
    }
}
