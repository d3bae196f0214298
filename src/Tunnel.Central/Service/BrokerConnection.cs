using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tunnel.Mqtt;

namespace Tunnel.Central.Service;

/// <summary>
/// The central service's connection to the broker, and the one place that owns it. libmosquitto reconnects by itself
/// after a lost connection, but its client ends for good on a failed TLS handshake (an external broker's certificate
/// renewed with one that does not verify, then put right) or a refused login: then this replaces it with a new client
/// of the same id and persistent session, trying again with a backoff, subscribes to what the service subscribed, and
/// the service's messages, its alarms and acknowledgements go through the new one. The first
/// <see cref="ConnectAsync"/> fails instead, so a start with impossible settings stops with the reason.
/// </summary>
public sealed class BrokerConnection : IAsyncDisposable
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    private readonly MqttClientOptions _options;
    private readonly ILogger _log;
    // One queue for the service whatever client the messages came by; what a replaced client still held moves here too.
    private readonly Channel<MqttMessage> _messages = Channel.CreateUnbounded<MqttMessage>();
    private readonly Dictionary<string, int> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile MqttClient? _client;
    private Task _watching = Task.CompletedTask;
    private volatile bool _disposed;

    public BrokerConnection(MqttClientOptions options, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = log;
    }

    /// <summary>Messages for the service's subscriptions, in arrival order, from whichever client received them.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    /// <summary>As <see cref="MqttClient.MessageQueued"/>: called on the network thread right after a message is queued on <see cref="Messages"/>.</summary>
    public Action? MessageQueued { get; set; }

    public bool IsConnected => _client?.IsConnected == true;

    /// <summary>A client that stays down this long without an error is replaced too, as the agents do.</summary>
    private TimeSpan ReplaceClientAfter => _options.ReconnectDelayMax * 4;

    /// <summary>The first connection; throws what <see cref="MqttClient.ConnectAsync"/> throws. From then on the connection is kept.</summary>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var client = NewClient();
        try { await client.ConnectAsync(ct).ConfigureAwait(false); }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        Use(client);
        _watching = Task.Run(() => WatchAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Subscribes on the current client, and on every client that replaces it.</summary>
    public async Task SubscribeAsync(string filter, int qos, CancellationToken ct = default)
    {
        await Current().SubscribeAsync(filter, qos, ct).ConfigureAwait(false);
        lock (_subscriptions) _subscriptions[filter] = qos;
    }

    /// <summary>
    /// As <see cref="MqttClient.Publish"/> on the current client. A QoS 1 message sent on a client that is then replaced
    /// is reported to <paramref name="failed"/> (not a refusal: no reason code); while a new client is being made this throws.
    /// </summary>
    public void Publish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, Action<Exception> failed, Action? acknowledged = null) =>
        Current().Publish(topic, payload, qos, retain, failed, acknowledged);

    private MqttClient Current()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _client ?? throw new InvalidOperationException($"no connection to the MQTT broker {_options.Host}:{_options.Port}: a new client is connecting");
    }

    private MqttClient NewClient()
    {
        var client = new MqttClient(_options);
        // What a client receives before it is in use waits in it (see Use): the service answers a passage with an
        // acknowledgement through the client in use, and a resumed session delivers right after the CONNACK, before
        // ConnectAsync has returned. Once in CI the acknowledgement of such a passage found no client and was lost.
        client.MessageQueued = () =>
        {
            if (_client == client) Forward(client);
        };
        return client;
    }

    /// <summary>Puts a connected client in use, then passes on what it received meanwhile.</summary>
    private void Use(MqttClient client)
    {
        _client = client;
        Forward(client);
    }

    private void Forward(MqttClient client)
    {
        var moved = false;
        // The network thread and Use may both forward for a moment: one at a time, so the order holds.
        lock (_forwarding)
            while (client.Messages.TryRead(out var message))
            {
                _messages.Writer.TryWrite(message);
                moved = true;
            }
        if (moved) MessageQueued?.Invoke();
    }

    private readonly Lock _forwarding = new();

    /// <summary>Replaces the client once it has ended for good (or stayed down far longer than its own backoff).</summary>
    private async Task WatchAsync(CancellationToken ct)
    {
        long? downSince = null;
        using var timer = new PeriodicTimer(CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var client = _client!;
                if (client.IsConnected)
                {
                    downSince = null;
                    continue;
                }
                downSince ??= TimeProvider.System.GetTimestamp();
                var down = TimeProvider.System.GetElapsedTime(downSince.Value);
                if (client.LastError is null && down < ReplaceClientAfter) continue;
                _log.LogWarning("MQTT connection not coming back by itself: {Error} Connecting again with a new client of the same id and session",
                    client.LastError?.Message ?? $"no connection to MQTT broker {_options.Host}:{_options.Port} for {down:mm\\:ss}.");
                _client = null;
                await RetireAsync(client).ConfigureAwait(false);
                await ReconnectAsync(ct).ConfigureAwait(false);
                downSince = null;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>A new client in use, connected and subscribed; tries with a backoff for as long as it takes, each failure logged once.</summary>
    private async Task ReconnectAsync(CancellationToken ct)
    {
        var delay = _options.ReconnectDelay;
        while (true)
        {
            var client = NewClient();
            try
            {
                await client.ConnectAsync(ct).ConfigureAwait(false);
                // In use at once: what waited in the session came right after the CONNACK, and the acknowledgements it calls for go out on it.
                Use(client);
                KeyValuePair<string, int>[] subscriptions;
                lock (_subscriptions) subscriptions = [.. _subscriptions];
                // The broker kept them with the session; subscribing again also covers a broker that lost it.
                foreach (var (filter, qos) in subscriptions) await client.SubscribeAsync(filter, qos, ct).ConfigureAwait(false);
                if (client.SessionPresent)
                    _log.LogInformation("MQTT broker {Host}:{Port} connected again; the session resumed with what waited in it", _options.Host, _options.Port);
                else
                    _log.LogWarning("MQTT broker {Host}:{Port} connected again, but it kept no session: what was sent meanwhile comes with the agents' re-sends",
                        _options.Host, _options.Port);
                return;
            }
            catch (Exception e)
            {
                _client = null;
                await RetireAsync(client).ConfigureAwait(false);
                if (ct.IsCancellationRequested) throw;
                _log.LogWarning("MQTT connection not made again: {Error} A new client tries again in {Delay}", e.Message, delay);
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectDelayMax.Ticks));
        }
    }

    /// <summary>
    /// Disposes a client (its QoS 1 messages not yet acknowledged are reported failed to their senders) and keeps the
    /// messages it had received and nobody had taken yet.
    /// </summary>
    private async Task RetireAsync(MqttClient client)
    {
        await client.DisposeAsync().ConfigureAwait(false);
        Forward(client);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watching.ConfigureAwait(false);
        if (_client is { } client)
        {
            _client = null;
            await client.DisposeAsync().ConfigureAwait(false);
        }
        _messages.Writer.TryComplete();
        _stop.Dispose();
    }
}
