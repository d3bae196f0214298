using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Mqtt;

namespace Tunnel.Central.Tests;

/// <summary>The service's broker connection replaces a client that ended for good; the TLS case is in the end-to-end TlsTests.</summary>
public sealed class BrokerConnectionTests
{
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;

    [Fact]
    public async Task A_login_refused_on_a_reconnect_ends_the_client_and_a_new_one_connects_once_the_login_works_with_what_waited_in_the_session()
    {
        var users = new Dictionary<string, string> { ["central"] = "central-secret", ["agent"] = "agent-secret" };
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions { Users = users });
        var log = new ListLogger();
        await using var connection = new BrokerConnection(new MqttClientOptions
        {
            Host = broker.Host, Port = broker.Port, ClientId = "tunnel-central", Username = "central", Password = "central-secret",
            CleanStart = false, SessionExpirySeconds = 3600,
        }, log);
        await connection.ConnectAsync().WaitAsync(Deadline);
        await connection.SubscribeAsync("tunnel/v1/#", 1).WaitAsync(Deadline);
        await using var agent = new MqttClient(new MqttClientOptions { Host = broker.Host, Port = broker.Port, ClientId = "agent", Username = "agent", Password = "agent-secret" });
        await agent.ConnectAsync().WaitAsync(Deadline);

        // The service's login is gone when the broker restarts (a password file rewritten by hand, say): libmosquitto's
        // reconnect is refused, and its client does not try again.
        await broker.ReloadAsync(new Dictionary<string, string> { ["agent"] = "agent-secret" }, []);
        await broker.RestartAsync();
        Assert.True(SpinWait.SpinUntil(() => log.Warnings.Any(l => l.Contains("not coming back by itself", StringComparison.Ordinal)), Deadline),
            "the ended client noticed");
        Assert.True(SpinWait.SpinUntil(() => log.Warnings.Any(l => l.Contains("not made again", StringComparison.Ordinal)), Deadline),
            "a new client refused too");
        Assert.False(connection.IsConnected);
        await agent.PublishAsync("tunnel/v1/maoliling/north/entry/passage", Encoding.UTF8.GetBytes("sent while the service was out"), 1).WaitAsync(Deadline);

        await broker.ReloadAsync(users, []);
        Assert.True(SpinWait.SpinUntil(() => connection.IsConnected, Deadline), "connected again once the login works");
        var message = await connection.Messages.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal("sent while the service was out", Encoding.UTF8.GetString(message.Payload));
        // Each attempt logged once with the broker's reason, spaced by the backoff.
        var attempts = log.Warnings.Where(l => l.Contains("not made again", StringComparison.Ordinal)).ToList();
        Assert.All(attempts, l => Assert.Contains("refused client 'tunnel-central'", l));
        Assert.InRange(attempts.Count, 1, 6);
    }

    /// <summary>
    /// A persistent session delivers what waited in it right after the CONNACK. The service answers each passage with an
    /// acknowledgement through the connection; once in CI such an answer came before the new client was in use, found
    /// none ("a new client is connecting"), and the agent waited for an acknowledgement that never came.
    /// </summary>
    [Fact]
    public async Task What_a_resumed_session_delivers_at_once_can_be_answered_at_once()
    {
        var users = new Dictionary<string, string> { ["central"] = "central-secret", ["agent"] = "agent-secret" };
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions { Users = users });
        var options = new MqttClientOptions
        {
            Host = broker.Host, Port = broker.Port, ClientId = "tunnel-central", Username = "central", Password = "central-secret",
            CleanStart = false, SessionExpirySeconds = 3600,
        };
        await using (var first = new BrokerConnection(options, new ListLogger()))
        {
            await first.ConnectAsync().WaitAsync(Deadline);
            await first.SubscribeAsync("tunnel/v1/+/+/+/passage", 1).WaitAsync(Deadline);
        }
        const int Waiting = 50;
        await using (var agent = new MqttClient(new MqttClientOptions { Host = broker.Host, Port = broker.Port, ClientId = "agent", Username = "agent", Password = "agent-secret" }))
        {
            await agent.ConnectAsync().WaitAsync(Deadline);
            for (var i = 0; i < Waiting; i++)
                await agent.PublishAsync("tunnel/v1/maoliling/north/entry/passage", Encoding.UTF8.GetBytes($"passage {i}"), 1).WaitAsync(Deadline);
        }

        await using var connection = new BrokerConnection(options, new ListLogger());
        var refused = new ConcurrentQueue<string>();
        var answered = 0;
        // As the service's loop does, on the network thread: take what came and answer it.
        connection.MessageQueued = () =>
        {
            while (connection.Messages.TryRead(out _))
            {
                try
                {
                    connection.Publish("tunnel/v1/maoliling/agents/agent/ack", "ok"u8, 1, retain: false, e => refused.Enqueue(e.Message));
                    Interlocked.Increment(ref answered);
                }
                catch (InvalidOperationException e) { refused.Enqueue(e.Message); }
            }
        };
        await connection.ConnectAsync().WaitAsync(Deadline);

        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref answered) + refused.Count >= Waiting, Deadline), $"{answered} answered of {Waiting}");
        Assert.Empty(refused);
    }

    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _warnings = new();
        public IReadOnlyList<string> Warnings => [.. _warnings];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) _warnings.Enqueue(formatter(state, exception));
        }
    }
}
