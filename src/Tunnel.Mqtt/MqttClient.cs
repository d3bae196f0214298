using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Tunnel.Mqtt.Native;

namespace Tunnel.Mqtt;

/// <summary>
/// An MQTT 5 client over libmosquitto. After the first successful <see cref="ConnectAsync"/> it
/// reconnects by itself with exponential backoff and, when the broker kept no session,
/// subscribes again to everything it had subscribed. A login the broker refuses is never retried.
/// Thread safe; received messages arrive on <see cref="Messages"/>.
/// </summary>
public sealed class MqttClient : IAsyncDisposable
{
    private readonly MqttClientOptions _options;
    private readonly Lock _nativeGate = new();
    private readonly AckTable<int> _publishAcks = new();
    private readonly AckTable<int[]> _subscribeAcks = new();
    private readonly ConcurrentDictionary<string, int> _subscriptions = new();
    private readonly Channel<MqttMessage> _messages = Channel.CreateUnbounded<MqttMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Channel<bool> _connectionEvents = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _firstConnack = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private nint _mosq;               // guarded by _nativeGate for calls from user threads
    private GCHandle _self;
    private bool _connectStarted;
    private bool _loopRunning;
    private volatile bool _closing;
    private volatile bool _connected;
    private bool _everConnected;      // touched only on the network thread

    public MqttClient(MqttClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        MosquittoRuntime.EnsureInitialised();
        _ = Task.Run(RaiseConnectionEventsAsync);
    }

    public MqttClientOptions Options => _options;

    /// <summary>Messages for this client's subscriptions, in arrival order. Unbounded: read it promptly.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    /// <summary>
    /// Called on libmosquitto's network thread right after each message is queued on <see cref="Messages"/>:
    /// lets a reader that waits on a thread of its own be woken directly, rather than through an awaited
    /// read and a thread-pool hop per wake-up, or take the message right there. No further message is read
    /// (and no acknowledgement of ours goes out) while it runs, so it must not wait on other threads for
    /// long; it may publish. What it throws is traced and dropped.
    /// </summary>
    public Action? MessageQueued { get; set; }

    public bool IsConnected => _connected;

    /// <summary>Whether the broker resumed a stored session at the last connect.</summary>
    public bool SessionPresent { get; private set; }

    /// <summary>Why the last connection attempt was refused; after a refusal the client stops reconnecting.</summary>
    public MqttException? LastError { get; private set; }

    /// <summary>Raised on a thread-pool thread, in order, on every connect (true) and disconnect (false).</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>Connects with MQTT 5 and completes when the broker accepts (CONNACK success).</summary>
    /// <exception cref="MqttException">The broker is unreachable or refused the login (see <see cref="MqttException.ReasonCode"/>).</exception>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        lock (_nativeGate)
        {
            ObjectDisposedException.ThrowIf(_closing, this);
            if (_connectStarted)
            {
                throw new InvalidOperationException("ConnectAsync runs once per client: it reconnects by itself afterwards. Create a new client to try again.");
            }

            _connectStarted = true;
            _self = GCHandle.Alloc(this);
            try
            {
                _mosq = CreateNativeClient(GCHandle.ToIntPtr(_self));
            }
            catch
            {
                _self.Free();
                throw;
            }
        }

        try
        {
            // The TCP connect inside mosquitto_connect_bind_v5 blocks (name lookup included).
            await Task.Run(StartConnection, ct).ConfigureAwait(false);
            await _firstConnack.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            ShutdownNative();
            throw;
        }
    }

    /// <summary>
    /// Publishes and completes when the broker has it: on PUBACK for QoS 1 (PUBCOMP for QoS 2),
    /// once written to the socket for QoS 0. While disconnected, QoS 1/2 messages wait in the
    /// client and go out after the reconnect; cancelling stops the wait, not the message.
    /// </summary>
    /// <exception cref="MqttException">The broker refused it (e.g. 135 when the ACL forbids the topic) or it cannot be sent (e.g. larger than the broker accepts).</exception>
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, int qos = 1, bool retain = false, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ValidateQos(qos);
        ct.ThrowIfCancellationRequested();
        var reason = await StartPublish(topic, payload.Span, qos, retain).WaitAsync(ct).ConfigureAwait(false);
        if (MqttReasonCodes.IsFailure(reason))
        {
            throw RefusedBy(topic, reason);
        }
    }

    /// <summary>
    /// Publishes for whoever does not wait for the broker: the same delivery as <see cref="PublishAsync"/>
    /// (QoS 1 and 2 messages wait in the client while disconnected and go out after the reconnect), but
    /// no task, so a PUBACK costs no thread-pool wake-up. Only a failure is reported, to
    /// <paramref name="failed"/>: the broker's refusal (as <see cref="PublishAsync"/> would throw it), a QoS 0
    /// message lost with the connection, or the client disposed first. It runs on libmosquitto's network
    /// thread (or on the caller's, when the broker answered before this returns): it must be quick and must not throw.
    /// </summary>
    /// <param name="acknowledged">Called, on the same terms as <paramref name="failed"/>, when the broker accepted the message (QoS 1 and 2) or it was written to the connection (QoS 0).</param>
    /// <exception cref="MqttException">It cannot be sent at all (e.g. larger than the broker accepts); <paramref name="failed"/> is not called then.</exception>
    public void Publish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, Action<Exception> failed, Action? acknowledged = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ValidateQos(qos);
        ArgumentNullException.ThrowIfNull(failed);
        StartPublish(topic, payload, qos, retain, new PublishObserver(topic, failed, acknowledged));
    }

    /// <summary>Turns the PUBACK's reason code into the failure <see cref="PublishAsync"/> would throw, or the acceptance.</summary>
    private sealed class PublishObserver(string topic, Action<Exception> failed, Action? acknowledged) : IAckObserver<int>
    {
        public void Completed(int reason)
        {
            if (MqttReasonCodes.IsFailure(reason)) Failed(RefusedBy(topic, reason));
            else if (acknowledged is not null)
            {
                try { acknowledged(); }
                catch (Exception e) { ReportCallbackFailure(e); }
            }
        }

        public void Failed(Exception error)
        {
            try { failed(error); }
            catch (Exception e) { ReportCallbackFailure(e); }
        }
    }

    private static MqttException RefusedBy(string topic, int reason) =>
        new($"Publish to '{topic}' refused by the broker: {MqttReasonCodes.Describe(reason, "publish")}.", reasonCode: reason);

    /// <summary>Subscribes and completes on SUBACK. The subscription is restored after reconnects.</summary>
    /// <exception cref="MqttException">The broker refused it (e.g. 135 when the ACL forbids reading the filter) or the connection dropped first.</exception>
    public async Task SubscribeAsync(string filter, int qos = 1, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(filter);
        ValidateQos(qos);
        ct.ThrowIfCancellationRequested();
        Task<int[]> suback;
        lock (_nativeGate)
        {
            var mosq = UsableHandle();
            var rc = LibMosquitto.SubscribeV5(mosq, out var mid, filter, qos, 0, 0);
            ThrowOnError(rc, $"Subscribe to '{filter}'");
            suback = _subscribeAcks.Expect(mid, lostWithConnection: true);
        }

        var granted = await suback.WaitAsync(ct).ConfigureAwait(false);
        var reason = granted.Length == 0 ? MqttReasonCodes.UnspecifiedError : granted[0];
        if (MqttReasonCodes.IsFailure(reason))
        {
            throw new MqttException($"Subscribe to '{filter}' refused by the broker: {MqttReasonCodes.Describe(reason, "subscribe")}.", reasonCode: reason);
        }

        _subscriptions[filter] = qos;
    }

    /// <summary>Disconnects cleanly (no will is sent), stops the network thread and frees the native client.</summary>
    public ValueTask DisposeAsync()
    {
        ShutdownNative();
        return ValueTask.CompletedTask;
    }

    internal static void ValidateQos(int qos) => ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)qos, 2u, nameof(qos));

    /// <summary>Closes the TCP socket under the client without a DISCONNECT, as a crash would; tests use it to see the will.</summary>
    internal void DropConnectionAbruptly()
    {
        lock (_nativeGate)
        {
            var socket = LibMosquitto.Socket(UsableHandle());
            if (socket >= 0)
            {
                LibC.Shutdown(socket, LibC.ShutdownReadWrite);
            }
        }
    }

    private unsafe nint CreateNativeClient(nint self)
    {
        var mosq = LibMosquitto.New(_options.ClientId, _options.CleanStart, self);
        if (mosq == 0)
        {
            throw new MqttException($"libmosquitto could not create a client for id '{_options.ClientId}' (out of memory or invalid id).");
        }

        Check(LibMosquitto.IntOption(mosq, LibMosquitto.OptionProtocolVersion, LibMosquitto.ProtocolV5), "Selecting MQTT 5");
        Check(LibMosquitto.IntOption(mosq, LibMosquitto.OptionSendMaximum, _options.MaxInflight), "Setting the in-flight window");
        Check(LibMosquitto.IntOption(mosq, LibMosquitto.OptionReceiveMaximum, _options.MaxInflight), "Setting the receive window");
        // Passages are small and latency matters more than packet count.
        Check(LibMosquitto.IntOption(mosq, LibMosquitto.OptionTcpNoDelay, 1), "Setting TCP_NODELAY");
        Check(LibMosquitto.ReconnectDelaySet(mosq, WholeSeconds(_options.ReconnectDelay), WholeSeconds(_options.ReconnectDelayMax), true), "Setting the reconnect delay");
        if (_options.Username is not null)
        {
            Check(LibMosquitto.UsernamePasswordSet(mosq, _options.Username, _options.Password), "Setting username and password");
        }

        if (_options.Will is { } will)
        {
            fixed (byte* payload = will.Payload)
            {
                Check(LibMosquitto.WillSetV5(mosq, will.Topic, will.Payload.Length, payload, will.Qos, will.Retain, 0), "Setting the will");
            }
        }

        LibMosquitto.ConnectV5CallbackSet(mosq, &OnConnect);
        LibMosquitto.DisconnectV5CallbackSet(mosq, &OnDisconnect);
        LibMosquitto.PublishV5CallbackSet(mosq, &OnPublish);
        LibMosquitto.MessageV5CallbackSet(mosq, &OnMessage);
        LibMosquitto.SubscribeV5CallbackSet(mosq, &OnSubscribe);
        return mosq;

        void Check(int rc, string what)
        {
            if (rc != LibMosquitto.ErrSuccess)
            {
                LibMosquitto.Destroy(mosq);
                ThrowOnError(rc, what);
            }
        }
    }

    private void StartConnection()
    {
        nint properties = 0;
        try
        {
            if (_options.SessionExpirySeconds > 0)
            {
                // libmosquitto copies the CONNECT properties and sends them again on every reconnect.
                ThrowOnError(LibMosquitto.PropertyAddInt32(ref properties, LibMosquitto.PropertySessionExpiryInterval, _options.SessionExpirySeconds), "Setting the session expiry");
            }

            int rc;
            int errno;
            lock (_nativeGate)
            {
                var mosq = UsableHandle();
                rc = LibMosquitto.ConnectBindV5(mosq, _options.Host, _options.Port, _options.KeepAliveSeconds, null, properties);
                errno = Marshal.GetLastPInvokeError();
                if (rc == LibMosquitto.ErrSuccess)
                {
                    rc = LibMosquitto.LoopStart(mosq);
                    _loopRunning = rc == LibMosquitto.ErrSuccess;
                }
            }

            if (rc != LibMosquitto.ErrSuccess)
            {
                throw new MqttException($"Cannot connect to MQTT broker {_options.Host}:{_options.Port}: {MosquittoRuntime.ErrorText(rc, errno)}.", libraryError: rc);
            }
        }
        finally
        {
            LibMosquitto.PropertyFreeAll(ref properties);
        }
    }

    private unsafe Task<int> StartPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, IAckObserver<int>? observer = null)
    {
        lock (_nativeGate)
        {
            var mosq = UsableHandle();
            int rc, mid;
            fixed (byte* bytes = payload)
            {
                rc = LibMosquitto.PublishV5(mosq, out mid, topic, payload.Length, bytes, qos, retain, 0);
            }

            // Not connected: libmosquitto has still queued a QoS 1 or 2 message, and sends it once the connection is back (its
            // acknowledgement then comes as any other's). Reporting a failure would make the caller send it a second time, and
            // leave that acknowledgement to be taken for a later message given the same id.
            if (!(rc == LibMosquitto.ErrNoConnection && qos > 0)) ThrowOnError(rc, $"Publish to '{topic}' ({payload.Length} bytes)");
            if (observer is null) return _publishAcks.Expect(mid, lostWithConnection: qos == 0);
            _publishAcks.Observe(mid, lostWithConnection: qos == 0, observer);
            return Task.FromResult(MqttReasonCodes.Success);
        }
    }

    private nint UsableHandle()
    {
        ObjectDisposedException.ThrowIf(_closing, this);
        return _mosq != 0 ? _mosq : throw new InvalidOperationException("Not connected: call ConnectAsync first.");
    }

    private void ShutdownNative()
    {
        nint mosq;
        bool loopRunning;
        lock (_nativeGate)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            mosq = _mosq;
            loopRunning = _loopRunning;
            _mosq = 0;
        }

        if (mosq != 0)
        {
            // Order matters: the DISCONNECT ends the network loop, loop_stop joins its thread, and
            // only then can no callback hold the handle that is freed last.
            LibMosquitto.DisconnectV5(mosq, MqttReasonCodes.Success, 0);
            if (loopRunning)
            {
                LibMosquitto.LoopStop(mosq, false);
            }

            LibMosquitto.Destroy(mosq);
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }

        _connected = false;
        var disposed = () => new ObjectDisposedException(nameof(MqttClient));
        _publishAcks.FailAll(disposed);
        _subscribeAcks.FailAll(disposed);
        _firstConnack.TrySetException(new MqttException("The client was disposed before the broker answered."));
        _messages.Writer.TryComplete();
        _connectionEvents.Writer.TryComplete();
    }

    private async Task RaiseConnectionEventsAsync()
    {
        await foreach (var connected in _connectionEvents.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                ConnectionChanged?.Invoke(connected);
            }
            catch (Exception e)
            {
                Trace.TraceError($"MQTT client '{_options.ClientId}': a ConnectionChanged handler threw: {e}");
            }
        }
    }

    // ---- Callbacks: run on libmosquitto's network thread. Nothing may escape them. ----

    private void HandleConnect(nint mosq, int reasonCode, bool sessionPresent)
    {
        if (_closing)
        {
            // A reconnect that raced with disposal: end it so loop_stop can return.
            LibMosquitto.DisconnectV5(mosq, MqttReasonCodes.Success, 0);
            return;
        }

        if (reasonCode != MqttReasonCodes.Success)
        {
            var error = new MqttException(
                $"MQTT broker {_options.Host}:{_options.Port} refused client '{_options.ClientId}'" +
                (_options.Username is null ? "" : $" (user '{_options.Username}')") +
                $": {MqttReasonCodes.Describe(reasonCode, "connect")}. The client does not retry a refused login.",
                reasonCode: reasonCode);
            LastError = error;
            // libmosquitto retries some refusals by itself; a refused login must stop here.
            LibMosquitto.DisconnectV5(mosq, MqttReasonCodes.Success, 0);
            _firstConnack.TrySetException(error);
            return;
        }

        SessionPresent = sessionPresent;
        if (_everConnected && !sessionPresent)
        {
            Resubscribe(mosq);
        }

        _everConnected = true;
        LastError = null;
        _connected = true;
        _connectionEvents.Writer.TryWrite(true);
        _firstConnack.TrySetResult();
    }

    private void Resubscribe(nint mosq)
    {
        foreach (var (filter, qos) in _subscriptions)
        {
            var rc = LibMosquitto.SubscribeV5(mosq, out var mid, filter, qos, 0, 0);
            if (rc == LibMosquitto.ErrSuccess)
            {
                // Nobody awaits this SUBACK; registering it only keeps the table from holding it as "early".
                _ = _subscribeAcks.Expect(mid, lostWithConnection: true).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
            else
            {
                Trace.TraceError($"MQTT client '{_options.ClientId}': re-subscribing '{filter}' failed: {MosquittoRuntime.ErrorText(rc)}");
            }
        }
    }

    private void HandleDisconnect()
    {
        var wasConnected = _connected;
        _connected = false;
        var lost = () => new MqttException("The connection to the MQTT broker was lost before the broker acknowledged.", libraryError: LibMosquitto.ErrConnectionLost);
        _publishAcks.FailLostWithConnection(lost);
        _subscribeAcks.FailLostWithConnection(lost);
        if (wasConnected)
        {
            _connectionEvents.Writer.TryWrite(false);
        }
    }

    private unsafe void HandleMessage(MosquittoMessage* message)
    {
        var topic = Marshal.PtrToStringUTF8(message->Topic) ?? "";
        var payload = message->PayloadLength == 0 ? [] : new ReadOnlySpan<byte>((void*)message->Payload, message->PayloadLength).ToArray();
        _messages.Writer.TryWrite(new MqttMessage(topic, payload, message->Qos, message->Retain != 0) { ReceivedTimestamp = Stopwatch.GetTimestamp() });
        MessageQueued?.Invoke();
    }

    private static MqttClient? FromObj(nint obj) => obj == 0 ? null : GCHandle.FromIntPtr(obj).Target as MqttClient;

    [UnmanagedCallersOnly]
    private static void OnConnect(nint mosq, nint obj, int reasonCode, int flags, nint properties)
    {
        try { FromObj(obj)?.HandleConnect(mosq, reasonCode, (flags & 1) != 0); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    [UnmanagedCallersOnly]
    private static void OnDisconnect(nint mosq, nint obj, int reasonCode, nint properties)
    {
        try { FromObj(obj)?.HandleDisconnect(); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    [UnmanagedCallersOnly]
    private static void OnPublish(nint mosq, nint obj, int mid, int reasonCode, nint properties)
    {
        try { FromObj(obj)?._publishAcks.Complete(mid, reasonCode); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnSubscribe(nint mosq, nint obj, int mid, int grantedCount, int* granted, nint properties)
    {
        try { FromObj(obj)?._subscribeAcks.Complete(mid, new ReadOnlySpan<int>(granted, grantedCount).ToArray()); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnMessage(nint mosq, nint obj, MosquittoMessage* message, nint properties)
    {
        try { FromObj(obj)?.HandleMessage(message); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    private static void ReportCallbackFailure(Exception e) => Trace.TraceError($"MQTT callback failed: {e}");

    private static uint WholeSeconds(TimeSpan span) => (uint)Math.Max(1, Math.Ceiling(span.TotalSeconds));

    private static void ThrowOnError(int rc, string what)
    {
        if (rc != LibMosquitto.ErrSuccess)
        {
            throw new MqttException($"{what} failed: {MosquittoRuntime.ErrorText(rc)}.", libraryError: rc);
        }
    }
}
