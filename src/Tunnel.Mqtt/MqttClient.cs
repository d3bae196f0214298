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
    private readonly AckTable<int> _unsubscribeAcks = new();
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

    /// <summary>
    /// Disconnects cleanly (no will is sent), stops the network thread and frees the native client. A client with a will
    /// first lets the broker go quiet, for at most <see cref="QuietTimeout"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await QuietenAsync().ConfigureAwait(false);
        ShutdownNative();
    }

    /// <summary>How long <see cref="DisposeAsync"/> waits for the broker to stop sending before it disconnects anyway.</summary>
    private static readonly TimeSpan QuietTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long no message must come, once its subscriptions are ended, before a client with a will disconnects.</summary>
    private static readonly TimeSpan QuietGap = TimeSpan.FromMilliseconds(100);

    // When the last message came (Stopwatch timestamp), written on the network thread.
    private long _lastMessageAt;

    /// <summary>
    /// mosquitto publishes the will of a client it could not write to (a broken pipe), even when that client's DISCONNECT
    /// already waits unread on its socket: under steady traffic a subscriber's clean disconnect fired its will nearly every
    /// time (mosquitto 2.0.11; 100 of 100 with mosquitto_sub). So before its DISCONNECT a client with a will stops what the
    /// broker still sends it: the messages of its subscriptions (ended in a clean session only, as a persistent one keeps
    /// them for its return) and the acknowledgements of its own publishes (awaited).
    /// </summary>
    private async Task QuietenAsync()
    {
        if (_options.Will is null || !_connected || _closing)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(QuietTimeout);
        try
        {
            if (_options.SessionExpirySeconds == 0)
            {
                var unsubacks = new List<Task<int>>();
                lock (_nativeGate)
                {
                    var mosq = UsableHandle();
                    foreach (var filter in _subscriptions.Keys)
                    {
                        if (LibMosquitto.UnsubscribeV5(mosq, out var mid, filter, 0) == LibMosquitto.ErrSuccess)
                        {
                            unsubacks.Add(_unsubscribeAcks.Expect(mid, lostWithConnection: true));
                        }
                    }
                }

                await Task.WhenAll(unsubacks).WaitAsync(deadline.Token).ConfigureAwait(false);
                // What the broker had queued for it beyond its in-flight window (QoS 1 under a flood) still comes after the
                // UNSUBACK, as this client acknowledges the rest: a spell without any says it has all come. Without this,
                // the seventh of ten stops of MqttClientTests' flood once fired the will in CI.
                while (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastMessageAt)) is var since && since < QuietGap)
                {
                    await Task.Delay(QuietGap - since, deadline.Token).ConfigureAwait(false);
                }
            }

            await _publishAcks.WhenSettled().WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or MqttException or ObjectDisposedException or InvalidOperationException)
        {
            // Best effort: the disconnect goes ahead, and the broker may then publish the will.
        }
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

        if (_options.Tls is { } tls)
        {
            Check(LibMosquitto.TlsSet(mosq, tls.CaFile, null, tls.CertFile, tls.KeyFile, &RefusePassphrase),
                $"Setting up TLS with {tls.Files} (each must exist and be readable by this user)");
            // Verify the broker's certificate, and speak nothing older than TLS 1.2. The host name check
            // stays on: mosquitto_tls_insecure_set is never called, so a certificate for another name fails.
            Check(LibMosquitto.TlsOptsSet(mosq, LibMosquitto.SslVerifyPeer, "tlsv1.2", null), "Requiring TLS 1.2 and a verified broker certificate");
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
        LibMosquitto.UnsubscribeV5CallbackSet(mosq, &OnUnsubscribe);
        LibMosquitto.LogCallbackSet(mosq, &OnLog);
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
                // Never started after a failed connect: libmosquitto would reuse a TLS context it only half made, which verifies nothing
                // (mosquitto#2130). A TLS failure shows as MOSQ_ERR_TLS, or as EPROTO when the broker's alert cut the CONNECT short;
                // the log has OpenSSL's reason (LastError) when it had one.
                var tlsFailed = rc == LibMosquitto.ErrTls || (_options.Tls is not null && rc == LibMosquitto.ErrErrno && errno == LibC.Eproto);
                throw tlsFailed ? LastError ?? TlsFailure(rc, MosquittoRuntime.ErrorText(rc, errno))
                    : new MqttException($"Cannot connect to MQTT broker {_options.Host}:{_options.Port}: {MosquittoRuntime.ErrorText(rc, errno)}.", libraryError: rc);
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
        _unsubscribeAcks.FailAll(disposed);
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

    /// <summary>
    /// libmosquitto's network thread ends for good on a failed TLS handshake (a certificate that does not verify, the
    /// broker's alert that a client certificate is missing) and says so only in its log: no disconnect callback comes,
    /// and no reconnect. So OpenSSL's error before a CONNACK is the failure, rather than a CONNACK waited for in vain.
    /// One while connected is a connection lost (an unexpected end of file when the broker dies): the disconnect
    /// callback follows, and libmosquitto reconnects.
    /// </summary>
    private void HandleLibraryError(string line)
    {
        const string OpenSslError = "OpenSSL Error";
        if (_connected || !line.StartsWith(OpenSslError, StringComparison.Ordinal) || LastError?.LibraryError == LibMosquitto.ErrTls)
        {
            return;
        }

        var error = TlsFailure(LibMosquitto.ErrTls, line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
        LastError = error;
        _firstConnack.TrySetException(error);
    }

    private void HandleDisconnect()
    {
        var wasConnected = _connected;
        _connected = false;
        var lost = () => new MqttException("The connection to the MQTT broker was lost before the broker acknowledged.", libraryError: LibMosquitto.ErrConnectionLost);
        _publishAcks.FailLostWithConnection(lost);
        _subscribeAcks.FailLostWithConnection(lost);
        _unsubscribeAcks.FailLostWithConnection(lost);
        if (!_everConnected)
        {
            // Closed before any CONNACK: whatever listens there is no MQTT broker speaking this client's way (a plain client at
            // a TLS listener, most often), and libmosquitto would try again forever while ConnectAsync waited.
            var hint = _options.Tls is null ? "is it a TLS listener (this client speaks plain MQTT), or not an MQTT broker at all?" : "is it an MQTT broker's TLS listener?";
            var error = new MqttException($"MQTT broker {_options.Host}:{_options.Port} closed the connection without answering the CONNECT: {hint} The client does not retry.",
                libraryError: LibMosquitto.ErrConnectionLost);
            LastError ??= error;
            _firstConnack.TrySetException(LastError);
        }

        if (wasConnected)
        {
            _connectionEvents.Writer.TryWrite(false);
        }
    }

    private unsafe void HandleMessage(MosquittoMessage* message)
    {
        var topic = Marshal.PtrToStringUTF8(message->Topic) ?? "";
        var payload = message->PayloadLength == 0 ? [] : new ReadOnlySpan<byte>((void*)message->Payload, message->PayloadLength).ToArray();
        var received = Stopwatch.GetTimestamp();
        Volatile.Write(ref _lastMessageAt, received);
        _messages.Writer.TryWrite(new MqttMessage(topic, payload, message->Qos, message->Retain != 0) { ReceivedTimestamp = received });
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

        // A TLS connection that drops (the broker restarted) leaves errno at EPROTO, and mosquitto_loop_forever takes
        // that for a fatal error once this returns: its thread ends and never reconnects (mosquitto#2825; seen with
        // 2.0.11). Cleared, the loop reconnects as it does over plain TCP; a certificate that fails on that reconnect
        // still ends it, with MOSQ_ERR_TLS and OpenSSL's reason in the log (HandleLibraryError).
        Marshal.SetLastSystemError(0);
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
    private static void OnUnsubscribe(nint mosq, nint obj, int mid, nint properties)
    {
        try { FromObj(obj)?._unsubscribeAcks.Complete(mid, MqttReasonCodes.Success); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnMessage(nint mosq, nint obj, MosquittoMessage* message, nint properties)
    {
        try { FromObj(obj)?.HandleMessage(message); }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    /// <summary>
    /// OpenSSL's passphrase callback. Without one, an encrypted key would make OpenSSL ask on the terminal, and
    /// an agent under `systemd-run --pty` would hang there: an empty passphrase makes such a key fail instead.
    /// </summary>
    [UnmanagedCallersOnly]
    private static unsafe int RefusePassphrase(byte* buffer, int size, int rwFlag, nint userData) => 0;

    [UnmanagedCallersOnly]
    private static void OnLog(nint mosq, nint obj, int level, nint text)
    {
        try
        {
            if (level == LibMosquitto.LogError && Marshal.PtrToStringUTF8(text) is { } line) FromObj(obj)?.HandleLibraryError(line);
        }
        catch (Exception e) { ReportCallbackFailure(e); }
    }

    private MqttException TlsFailure(int rc, string detail) => new(
        $"TLS with MQTT broker {_options.Host}:{_options.Port} failed ({detail}). Check that '{_options.Tls?.CaFile}' holds the CA that " +
        $"signed the broker's certificate, that the certificate names '{_options.Host}' and has not expired, that the port is the broker's " +
        "TLS listener, and the client certificate if the broker asks for one. The client does not retry.", libraryError: rc);

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
