using System.Text;
using Microsoft.Extensions.Logging;
using Tunnel.Agent.Outbox;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Agent.Link;

/// <summary>Where the agent sits and how it logs in to the broker.</summary>
public sealed record AgentIdentity(string Site, string Bore, Portal Portal, int Lane, string AgentId);

/// <summary><paramref name="Tls"/> null: plain TCP, as to the private broker's loopback listener.</summary>
public sealed record BrokerLogin(string Host, int Port, string Username, string Password, MqttTls? Tls = null);

/// <summary>
/// The agent's side of MQTT: drains the outbox in order (snapshot, then its passage, QoS 1),
/// takes the central service's end-to-end acknowledgement to empty it, sends every unconfirmed
/// passage again after a reconnect (the broker may have lost what it had accepted; the central
/// service drops the duplicates by event id), and keeps a retained status with a last will that
/// says offline. It keeps trying while the broker is unreachable, even at start: capture never
/// waits for the network.
/// </summary>
public sealed class AgentLink : IAsyncDisposable
{
    private const int Window = 64;
    private static readonly TimeSpan RetryFirst = TimeSpan.FromSeconds(1), RetryMax = TimeSpan.FromSeconds(30);

    private readonly AgentIdentity _identity;
    private readonly BrokerLogin _login;
    private readonly PassageOutbox _outbox;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Func<AgentStatus, AgentStatus> _describe;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _inflight = new(Window);
    private MqttClient? _client;
    private Task _run = Task.CompletedTask;
    private readonly Lock _cursorGate = new();
    private long _nextToSend;
    private long _epoch;
    private long _progressAt;
    private TimeSpan _resendWait;
    private long _sent, _resent;
    private volatile string? _lastError;
    private volatile bool _awaitingNumbering;

    public AgentLink(AgentIdentity identity, BrokerLogin login, PassageOutbox outbox, TimeProvider clock, ILogger log,
        Func<AgentStatus, AgentStatus>? describe = null)
    {
        _identity = identity;
        _login = login;
        _outbox = outbox;
        _clock = clock;
        _log = log;
        _describe = describe ?? (s => s);
        _nextToSend = outbox.ConfirmedThrough + 1;
        _progressAt = clock.GetTimestamp();
        ServiceClock = new ServiceClock(clock, outbox.ClockOffset);
    }

    /// <summary>The central service's clock, set by its acknowledgements: what passages and statuses are stamped with.</summary>
    public ServiceClock ServiceClock { get; }

    public TimeSpan StatusEvery { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Sent but never confirmed for this long, the unconfirmed passages go again (and the wait then
    /// doubles, up to ten minutes): a broker that crashed can come back before the central service
    /// has resubscribed, and what reached it in between went nowhere.
    /// </summary>
    public TimeSpan ResendUnconfirmedAfter { get; init; } = TimeSpan.FromSeconds(30);
    public bool IsConnected => _client?.IsConnected == true;
    public long Sent => Interlocked.Read(ref _sent);
    public long Resent => Interlocked.Read(ref _resent);
    /// <summary>The central service's clock minus ours, from its last acknowledgement this run (network delay included).</summary>
    public double? ClockOffsetMs => ServiceClock.Synchronised ? ServiceClock.Offset?.TotalMilliseconds : null;
    public string? LastError { get => _lastError; set => _lastError = value; }

    /// <summary>Raised after each acknowledgement that confirmed something, with the new confirmed sequence number.</summary>
    public event Action<long>? Confirmed;

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Something new is in the outbox.</summary>
    public void Notify() => _wake.Release();

    private async Task RunAsync(CancellationToken ct)
    {
        while (await ConnectAsync(ct) is { } client)
        {
            _client = client;
            LastError = null;
            client.ConnectionChanged += OnConnectionChanged;
            // A client that was replaced may have taken sent passages with it: everything unconfirmed goes again.
            Rewind();
            using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                await Task.WhenAll(ExchangeAsync(client, session.Token), StatusLoopAsync(session.Token), WatchAsync(client, session));
            }
            catch (OperationCanceledException) { }
            client.ConnectionChanged -= OnConnectionChanged;
            // Stopping: DisposeAsync still needs the client to say so.
            if (ct.IsCancellationRequested) return;
            _client = null;
            await client.DisposeAsync();
        }
    }

    /// <summary>A connected client, trying with backoff for as long as it takes; null once stopped.</summary>
    private async Task<MqttClient?> ConnectAsync(CancellationToken ct)
    {
        var delay = RetryFirst;
        while (!ct.IsCancellationRequested)
        {
            var client = NewClient();
            try
            {
                await client.ConnectAsync(ct);
                return client;
            }
            catch (MqttException e)
            {
                await client.DisposeAsync();
                LastError = $"broker {_login.Host}:{_login.Port} unreachable: {e.Message}";
                _log.LogWarning("{Error}; retrying in {Delay}", LastError, delay);
                try { await Task.Delay(delay, _clock, ct); } catch (OperationCanceledException) { return null; }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, RetryMax.Ticks));
            }
            catch (OperationCanceledException)
            {
                await client.DisposeAsync();
                return null;
            }
        }
        return null;
    }

    /// <summary>
    /// Ends the session when the client will not come back by itself: libmosquitto reconnects on its own,
    /// but the client gives up for good after one refused CONNACK (a broker reload that briefly lacks
    /// this agent's login), and a client down far longer than its own backoff is not worth waiting for.
    /// </summary>
    private async Task WatchAsync(MqttClient client, CancellationTokenSource session)
    {
        long? downSince = null;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _clock);
        while (await timer.WaitForNextTickAsync(session.Token))
        {
            if (client.IsConnected) { downSince = null; continue; }
            downSince ??= _clock.GetTimestamp();
            if (client.LastError is null && _clock.GetElapsedTime(downSince.Value) < ReplaceClientAfter) continue;
            LastError = $"broker {_login.Host}:{_login.Port}: {client.LastError?.Message ?? "no connection for " + ReplaceClientAfter}; connecting again";
            _log.LogWarning("{Error}", LastError);
            await session.CancelAsync();
            return;
        }
    }

    private static readonly TimeSpan ReplaceClientAfter = RetryMax * 4;

    /// <summary>
    /// Sends passages and takes acknowledgements, but only once the broker has answered the subscription to them:
    /// it sends the retained acknowledgement right after granting it, and one from an earlier outbox file of this
    /// agent must renumber the passages before any goes out: one sent first under its old number would reach the
    /// central service under a number the earlier file had already used.
    /// </summary>
    private async Task ExchangeAsync(MqttClient client, CancellationToken ct)
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscribing = SubscribeAcksAsync(client, () => answered.TrySetResult(), ct);
        // Unless it failed or was cancelled: then that ends the session.
        await await Task.WhenAny(answered.Task, subscribing);
        // Published after the SUBACK, so its PUBACK comes after the retained acknowledgement: that one is in by now.
        await PublishStatusAsync(ct);
        while (client.Messages.TryRead(out var message)) await TakeAckAsync(message, ct);
        // Granted, and no retained acknowledgement settled a new file's numbering (the service holds nothing of this agent,
        // or the broker lost its retained messages with its data): the service acknowledges every status of an agent online,
        // and its reply to the one just sent is about earlier files' numbers only, since this file has sent nothing yet.
        // Passages wait for it: sent first, they would be numbered as the service's acknowledgement of an earlier file seems
        // to confirm, and those not yet sent would be deleted. Refused, passages go (the service still sees the vehicles),
        // and the numbering waits for a later grant and its acknowledgement.
        _awaitingNumbering = subscribing.IsCompletedSuccessfully && !_outbox.NumberingKnown;
        if (_awaitingNumbering)
            _log.LogInformation("new outbox file: its passages wait for the central service's first acknowledgement, which says what it holds of {Agent}",
                _identity.AgentId);
        await Task.WhenAll(subscribing, SendLoopAsync(client, ct), ReadAcksAsync(client, ct));
    }

    /// <summary>
    /// Subscribes to the acknowledgements until the broker grants it: without them the outbox only grows.
    /// <paramref name="answered"/> is called once the broker has granted or refused it.
    /// </summary>
    private async Task SubscribeAcksAsync(MqttClient client, Action answered, CancellationToken ct)
    {
        var delay = RetryFirst;
        while (true)
        {
            try
            {
                // Once granted, the client restores it after each reconnect by itself.
                await client.SubscribeAsync(Topics.AgentAck(_identity.Site, _identity.AgentId), 1, ct);
                answered();
                return;
            }
            catch (MqttException e)
            {
                // Refused, passages still go out meanwhile (the central service still sees the vehicles); the status says
                // why the outbox does not empty. Not on a lost connection: the next try comes with the connection back.
                if (e.ReasonCode is not null) answered();
                LastError = $"cannot read acknowledgements: {e.Message}";
                _log.LogError("{Error}; trying again in {Delay}", LastError, delay);
            }
            await Task.Delay(delay, _clock, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, RetryMax.Ticks));
        }
    }

    private MqttClient NewClient()
    {
        // Written now, sent by the broker when the connection dies: no time or depth would be true then.
        var will = Status(online: false, "connection lost (last will)") with { QueueDepth = null, ClockOffsetMs = null, At = null };
        return new MqttClient(new MqttClientOptions
        {
            Host = _login.Host, Port = _login.Port, ClientId = _identity.AgentId, Username = _login.Username, Password = _login.Password, Tls = _login.Tls,
            Will = new MqttWill(Topics.AgentStatus(_identity.Site, _identity.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(will)), 1, true),
        });
    }

    private void OnConnectionChanged(bool connected)
    {
        if (!connected)
        {
            LastError = "broker connection lost; passages wait in the outbox";
            return;
        }
        LastError = null;
        // Back after an outage: what the broker had accepted may be gone, so every unconfirmed passage goes again.
        Rewind();
        _ = PublishStatusAsync(_stop.Token);
    }

    private void Rewind()
    {
        lock (_cursorGate)
        {
            var from = _outbox.ConfirmedThrough + 1;
            if (_nextToSend > from) Interlocked.Add(ref _resent, _nextToSend - from);
            _nextToSend = from;
            _epoch++;
            _progressAt = _clock.GetTimestamp();
        }
        _wake.Release();
    }

    /// <summary>Everything sent is unconfirmed for too long: send it again, and wait longer before the next time.</summary>
    private void RewindIfStalled()
    {
        lock (_cursorGate)
        {
            if (_resendWait == TimeSpan.Zero) _resendWait = ResendUnconfirmedAfter;
            var waiting = _nextToSend > _outbox.ConfirmedThrough + 1;
            if (!waiting || _clock.GetElapsedTime(_progressAt) < _resendWait) return;
            _resendWait = TimeSpan.FromTicks(Math.Min(_resendWait.Ticks * 2, TimeSpan.FromMinutes(10).Ticks));
        }
        _log.LogWarning("no acknowledgement from the central service for {Wait}: sending the {Count} unconfirmed passages again", ResendUnconfirmedAfter, _outbox.Depth);
        Rewind();
    }

    private async Task SendLoopAsync(MqttClient client, CancellationToken ct)
    {
        var topics = new TopicNames(_identity);
        while (!ct.IsCancellationRequested)
        {
            long from, epoch;
            lock (_cursorGate) (from, epoch) = (Math.Max(_nextToSend, _outbox.ConfirmedThrough + 1), _epoch);
            IReadOnlyList<OutboxEntry> batch;
            try { batch = client.IsConnected && !_awaitingNumbering ? _outbox.Read(from, Window) : []; }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await OutboxFailedAsync("reading the outbox", e, ct);
                continue;
            }
            if (batch.Count == 0)
            {
                // Woken by a new passage or a reconnect; the timeout also paces the check for a stalled outbox.
                await _wake.WaitAsync(TimeSpan.FromSeconds(1), ct);
                if (client.IsConnected) RewindIfStalled();
                continue;
            }
            foreach (var entry in batch)
            {
                await _inflight.WaitAsync(ct);
                lock (_cursorGate)
                {
                    // A reconnect in between moved the cursor back: start over from there.
                    if (_epoch != epoch) { _inflight.Release(); break; }
                    // The first send after everything was confirmed starts the wait for its acknowledgement.
                    if (_nextToSend <= _outbox.ConfirmedThrough + 1) _progressAt = _clock.GetTimestamp();
                    _nextToSend = entry.Seq + 1;
                }
                _ = PublishAsync(client, topics, entry, ct);
            }
        }
    }

    /// <summary>
    /// The outbox file failed (locked past its timeout, disk full, I/O): said in the status and tried again
    /// shortly. Nothing is lost by waiting (what is unconfirmed stays in the file), whereas a loop that
    /// ended here would leave the outbox to grow for good.
    /// </summary>
    private async Task OutboxFailedAsync(string what, Exception e, CancellationToken ct)
    {
        LastError = _outboxError = $"outbox {what} failed: {e.Message}";
        _log.LogError(e, "{Error}; trying again in {Delay}", LastError, OutboxRetry);
        await Task.Delay(OutboxRetry, _clock, ct);
    }

    private static readonly TimeSpan OutboxRetry = TimeSpan.FromSeconds(1);
    private volatile string? _outboxError;

    private async Task PublishAsync(MqttClient client, TopicNames topics, OutboxEntry entry, CancellationToken ct)
    {
        try
        {
            if (entry.Snapshot is { } jpeg)
            {
                try { await client.PublishAsync(topics.Snapshot(entry.EventId), jpeg, 1, false, ct); }
                catch (MqttException e)
                {
                    // A picture the broker refuses (too large, say) must not hold its passage back.
                    _log.LogWarning("snapshot of passage {Seq} not accepted by the broker: {Error}", entry.Seq, e.Message);
                }
            }
            await client.PublishAsync(topics.Passage, entry.Payload, 1, false, ct);
            Interlocked.Increment(ref _sent);
        }
        catch (MqttException e)
        {
            // Refused (e.g. the ACL) or not sendable: it stays in the outbox and goes again after the next reconnect.
            LastError = e.Message;
            _log.LogWarning("passage {Seq} not accepted by the broker: {Error}", entry.Seq, e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
        finally { _inflight.Release(); }
    }

    private async Task ReadAcksAsync(MqttClient client, CancellationToken ct)
    {
        await foreach (var message in client.Messages.ReadAllAsync(ct)) await TakeAckAsync(message, ct);
    }

    private async Task TakeAckAsync(MqttMessage message, CancellationToken ct)
    {
        if (message.Topic != Topics.AgentAck(_identity.Site, _identity.AgentId)) return;
        // A later acknowledgement covers this one (they are cumulative), or the stalled outbox is sent again and acknowledged anew.
        try { TakeAck(message); }
        catch (Exception e) when (e is not OperationCanceledException) { await OutboxFailedAsync("confirming an acknowledgement", e, ct); }
    }

    private void TakeAck(MqttMessage message)
    {
        AgentAck? ack;
        try { ack = TunnelJson.Deserialize<AgentAck>(Encoding.UTF8.GetString(message.Payload)); }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException)
        {
            _log.LogWarning("unreadable acknowledgement ignored: {Error}", e.Message);
            return;
        }
        if (ack is null || ack.AgentId != _identity.AgentId) return;
        // A retained acknowledgement is as old as the last one sent, perhaps hours: its time says nothing of the clock.
        if (!message.Retain) TakeServiceTime(ack.At);
        var before = _outbox.ConfirmedThrough;
        // Beyond anything this outbox numbered, the acknowledgement counts passages of an earlier outbox file of this
        // agent: it confirms none of these, which are numbered after it instead.
        var renumbered = _outbox.ContinueAfter(ack.StoredThroughSeq, ack.HighestSeq);
        if (renumbered is null) _outbox.Confirm(ack.StoredThroughSeq);
        if (_awaitingNumbering && _outbox.NumberingKnown)
        {
            _awaitingNumbering = false;
            _wake.Release();
        }
        // The file works again: its failure no longer describes the agent.
        if (_outboxError is { } failed)
        {
            if (ReferenceEquals(LastError, failed)) LastError = null;
            _outboxError = null;
        }
        if (renumbered is not null)
        {
            Renumbered(renumbered);
            return;
        }
        if (_outbox.ConfirmedThrough <= before) return;
        lock (_cursorGate) (_progressAt, _resendWait) = (_clock.GetTimestamp(), ResendUnconfirmedAfter);
        Confirmed?.Invoke(_outbox.ConfirmedThrough);
    }

    private void Renumbered(Renumbering renumbered)
    {
        var storedThrough = renumbered.NewFrom - 1;
        if (renumbered.Passages == 0)
        {
            _log.LogInformation("the central service holds passages of {Agent} up to {Seq}, from an earlier outbox file: numbering continues after it",
                _identity.AgentId, storedThrough);
            return;
        }
        // Not an error, but worth an operator's look: the outbox file was lost or replaced.
        LastError = $"outbox renumbered: the central service holds passages up to {storedThrough} from an earlier outbox file, " +
            $"so the {renumbered.Passages} waiting, {renumbered.From}-{renumbered.To}, are now {renumbered.NewFrom}-{renumbered.NewTo}";
        _log.LogWarning("{Note}; sending them again", LastError);
        // Their new numbers are the ones the central service's acknowledgement will cover.
        Rewind();
    }

    private void TakeServiceTime(DateTimeOffset serviceAt)
    {
        ServiceClock.Observe(serviceAt, _clock.GetTimestamp());
        if (ServiceClock.Offset is not { } offset) return;
        // Kept for the next start, which may come before the network does; rewritten only when it moved, not at every acknowledgement.
        if (_outbox.ClockOffset is not { } kept || (offset - kept).Duration() > RememberOffsetChange)
        {
            // Only for a start without network; a failed write must not cost the acknowledgement that carried it.
            try { _outbox.RememberClockOffset(offset); }
            catch (Exception e) { _log.LogWarning("clock offset not kept in the outbox: {Error}", e.Message); }
        }
        if (offset.Duration() > WarnOffset && !_offsetWarned)
        {
            _offsetWarned = true;
            _log.LogWarning("this agent's clock is {Offset} off the central service's; passages are stamped on the service's clock", offset);
        }
    }

    private static readonly TimeSpan RememberOffsetChange = TimeSpan.FromSeconds(1), WarnOffset = TimeSpan.FromSeconds(2);
    private bool _offsetWarned;

    private async Task StatusLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(StatusEvery, _clock);
        while (await timer.WaitForNextTickAsync(ct)) await PublishStatusAsync(ct);
    }

    // Not while disconnected: the client would keep every status for the connection to come and send them all at once.
    private Task PublishStatusAsync(CancellationToken ct) =>
        _client is not { IsConnected: true } ? Task.CompletedTask : PublishStatusAsync(_client, _describe(Status(online: true, LastError)), TimeSpan.FromSeconds(5), ct);

    private async Task PublishStatusAsync(MqttClient client, AgentStatus status, TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await client.PublishAsync(Topics.AgentStatus(_identity.Site, _identity.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(status)), 1, true, ct)
                .WaitAsync(wait, ct);
        }
        catch (Exception e) when (e is MqttException or TimeoutException or ObjectDisposedException)
        {
            // The next tick tries again; the last will covers a status that never arrives.
        }
    }

    private AgentStatus Status(bool online, string? error) => new()
    {
        AgentId = _identity.AgentId, Online = online, Site = _identity.Site, Bore = _identity.Bore, Portal = _identity.Portal,
        Lane = _identity.Lane, QueueDepth = _outbox.Depth, LastSeq = _outbox.LastSeq,
        ConfirmedThrough = _outbox.NumberingKnown ? _outbox.ConfirmedThrough : null, ClockOffsetMs = ClockOffsetMs, LastError = error, At = ServiceClock.GetUtcNow(),
    };

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _run; }
        catch (OperationCanceledException) { }
        // Whatever ended the run, the agent still says it is going and lets go of the broker.
        catch (Exception e) { _log.LogError(e, "the broker link failed"); }
        if (_client is not null)
        {
            // A clean disconnect sends no last will, so the agent says itself that it is going.
            if (_client.IsConnected) await PublishStatusAsync(_client, Status(online: false, "stopped") with { Stopped = true }, TimeSpan.FromSeconds(2), CancellationToken.None);
            await _client.DisposeAsync();
        }
        _stop.Dispose();
    }

    private sealed class TopicNames(AgentIdentity identity)
    {
        public string Passage { get; } = Topics.Passage(identity.Site, identity.Bore, identity.Portal);
        public string Snapshot(Guid eventId) => Topics.Snapshot(identity.Site, identity.Bore, identity.Portal, eventId);
    }
}
