using System.Diagnostics;
using static Tunnel.Mqtt.Tests.TestSupport;

namespace Tunnel.Mqtt.Tests;

public sealed class MqttClientTests
{
    [Fact]
    public async Task Published_message_with_chinese_payload_reaches_subscriber_unchanged()
    {
        await using var broker = await StartBrokerAsync();
        await using var subscriber = await ConnectAsync(CentralOptions(broker, "central-1"));
        await using var publisher = await ConnectAsync(CentralOptions(broker, "agent-1"));
        const string topic = "tunnel/v1/maoliling/north/entry/passage";
        const string passage = "{\"plate\":\"浙A·12345\",\"colour\":\"黄\",\"tunnel\":\"猫狸岭隧道\",\"hazmat\":true}";

        await subscriber.SubscribeAsync("tunnel/v1/+/+/+/passage");
        await publisher.PublishAsync(topic, Utf8(passage));
        var received = await subscriber.NextMessageAsync();

        Assert.Equal(topic, received.Topic);
        Assert.Equal(passage, received.Text());
        Assert.Equal(1, received.Qos);
        Assert.False(received.Retain);
        Assert.True(publisher.IsConnected);
    }

    [Fact]
    public async Task MessageQueued_is_called_once_per_message_after_it_can_be_read()
    {
        await using var broker = await StartBrokerAsync();
        await using var subscriber = await ConnectAsync(CentralOptions(broker, "central-1"));
        await using var publisher = await ConnectAsync(CentralOptions(broker, "agent-1"));
        const string topic = "tunnel/v1/maoliling/north/entry/passage";
        var calls = 0;
        var readableWhenCalled = 0;
        using var queued = new SemaphoreSlim(0);
        subscriber.MessageQueued = () =>
        {
            Interlocked.Increment(ref calls);
            // Called on the network thread after the write: the message is there to read.
            if (subscriber.Messages.TryPeek(out _)) Interlocked.Increment(ref readableWhenCalled);
            queued.Release();
        };

        await subscriber.SubscribeAsync("tunnel/v1/+/+/+/passage");
        for (var i = 0; i < 3; i++)
        {
            await publisher.PublishAsync(topic, Utf8($"{{\"n\":{i}}}"));
            Assert.True(await queued.WaitAsync(WaitLimit), $"no MessageQueued call for message {i}");
            Assert.Equal($"{{\"n\":{i}}}", (await subscriber.NextMessageAsync()).Text());
        }

        Assert.Equal(3, calls);
        Assert.Equal(3, readableWhenCalled);
    }

    [Fact]
    public async Task Wrong_password_is_refused_with_reason_135_and_a_clear_message()
    {
        await using var broker = await StartBrokerAsync();
        await using var client = new MqttClient(CentralOptions(broker, "central-1") with { Password = "wrong" });

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.Equal(MqttReasonCodes.NotAuthorized, error.ReasonCode);
        Assert.Contains("username and password", error.Message);
        Assert.Contains("does not retry", error.Message);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Unreachable_broker_gives_a_readable_error()
    {
        await using var broker = await StartBrokerAsync();
        var port = broker.Port;
        await broker.StopAsync();
        await using var client = new MqttClient(CentralOptions(broker, "central-1") with { Port = port });

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(error.LibraryError);
    }

    [Fact]
    public async Task Acl_refuses_a_publish_outside_the_agents_own_topics_with_reason_135()
    {
        await using var broker = await StartBrokerAsync(acl:
        [
            MosquittoAclRule.ForUser(AgentUser, MqttTopicAccess.Write, "tunnel/v1/maoliling/north/entry/#"),
            MosquittoAclRule.ForUser(CentralUser, MqttTopicAccess.ReadWrite, "tunnel/v1/#"),
        ]);
        await using var agent = await ConnectAsync(CentralOptions(broker, "agent-north-entry-1") with { Username = AgentUser, Password = AgentPassword });

        await agent.PublishAsync("tunnel/v1/maoliling/north/entry/passage", Utf8("{}"));
        var error = await Assert.ThrowsAsync<MqttException>(() => agent.PublishAsync("tunnel/v1/maoliling/south/exit/passage", Utf8("{}")).WaitAsync(WaitLimit));

        Assert.Equal(MqttReasonCodes.NotAuthorized, error.ReasonCode);
        Assert.Contains("tunnel/v1/maoliling/south/exit/passage", error.Message);
        Assert.Contains("ACL", error.Message);
    }

    [Fact]
    public async Task A_publish_nobody_awaits_is_delivered_and_reports_nothing_when_the_broker_takes_it()
    {
        await using var broker = await StartBrokerAsync();
        await using var subscriber = await ConnectAsync(CentralOptions(broker, "central-1"));
        await using var publisher = await ConnectAsync(CentralOptions(broker, "central-2"));
        await subscriber.SubscribeAsync("tunnel/v1/maoliling/+/ack");
        var failures = new List<Exception>();

        publisher.Publish("tunnel/v1/maoliling/north/ack", Utf8("{\"storedThroughSeq\":7}"), 1, retain: false, failures.Add);
        var received = await subscriber.NextMessageAsync();
        // The PUBACK has come back once a later awaited publish to the same broker completes (one connection, in order).
        await publisher.PublishAsync("tunnel/v1/maoliling/north/ack", Utf8("{}"));

        Assert.Equal("{\"storedThroughSeq\":7}", received.Text());
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_publish_nobody_awaits_says_when_the_broker_accepted_it_and_not_when_it_refused_it()
    {
        await using var broker = await StartBrokerAsync(acl:
        [
            MosquittoAclRule.ForUser(AgentUser, MqttTopicAccess.Write, "tunnel/v1/maoliling/north/entry/#"),
        ]);
        await using var agent = await ConnectAsync(CentralOptions(broker, "agent-north-entry-1") with { Username = AgentUser, Password = AgentPassword });
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refused = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var refusedButAcknowledged = false;

        agent.Publish("tunnel/v1/maoliling/south/exit/passage", Utf8("{}"), 1, retain: false, e => refused.TrySetResult(e), () => refusedButAcknowledged = true);
        agent.Publish("tunnel/v1/maoliling/north/entry/passage", Utf8("{}"), 1, retain: false, e => accepted.TrySetException(e), () => accepted.TrySetResult());

        await refused.Task.WaitAsync(WaitLimit);
        await accepted.Task.WaitAsync(WaitLimit);
        Assert.False(refusedButAcknowledged);
    }

    [Fact]
    public async Task A_publish_nobody_awaits_reports_the_brokers_refusal_as_PublishAsync_would_throw_it()
    {
        await using var broker = await StartBrokerAsync(acl:
        [
            MosquittoAclRule.ForUser(AgentUser, MqttTopicAccess.Write, "tunnel/v1/maoliling/north/entry/#"),
        ]);
        await using var agent = await ConnectAsync(CentralOptions(broker, "agent-north-entry-1") with { Username = AgentUser, Password = AgentPassword });
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);

        agent.Publish("tunnel/v1/maoliling/south/exit/passage", Utf8("{}"), 1, retain: false, e => failed.TrySetResult(e));
        var error = Assert.IsType<MqttException>(await failed.Task.WaitAsync(WaitLimit));

        Assert.Equal(MqttReasonCodes.NotAuthorized, error.ReasonCode);
        Assert.Contains("tunnel/v1/maoliling/south/exit/passage", error.Message);
        Assert.Contains("ACL", error.Message);
        Assert.True(agent.IsConnected);
    }

    [Fact]
    public async Task Persistent_session_receives_qos1_messages_published_while_it_was_away()
    {
        await using var broker = await StartBrokerAsync();
        var persistent = CentralOptions(broker, "central-persistent") with { CleanStart = false, SessionExpirySeconds = 3600 };
        const string topic = "tunnel/v1/maoliling/south/exit/passage";

        await using (var first = await ConnectAsync(persistent))
        {
            await first.SubscribeAsync("tunnel/v1/#", qos: 1);
        }

        await using (var publisher = await ConnectAsync(CentralOptions(broker, "agent-1")))
        {
            for (var i = 1; i <= 3; i++)
            {
                await publisher.PublishAsync(topic, Utf8($"passage {i}"), qos: 1);
            }
        }

        await using var again = await ConnectAsync(persistent);

        Assert.True(again.SessionPresent);
        Assert.Equal("passage 1", (await again.NextMessageAsync()).Text());
        Assert.Equal("passage 2", (await again.NextMessageAsync()).Text());
        Assert.Equal("passage 3", (await again.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task Retained_will_is_published_when_the_connection_drops_without_disconnect()
    {
        await using var broker = await StartBrokerAsync();
        const string statusTopic = "tunnel/v1/maoliling/agents/agent-7/status";
        await using var watcher = await ConnectAsync(CentralOptions(broker, "central-1"));
        await watcher.SubscribeAsync(statusTopic);
        await using var agent = await ConnectAsync(CentralOptions(broker, "agent-7") with
        {
            Will = new MqttWill(statusTopic, Utf8("{\"state\":\"offline\"}"), Qos: 1, Retain: true),
        });

        agent.DropConnectionAbruptly();
        var will = await watcher.NextMessageAsync();

        Assert.Equal(statusTopic, will.Topic);
        Assert.Equal("{\"state\":\"offline\"}", will.Text());
        await using var latecomer = await ConnectAsync(CentralOptions(broker, "central-2"));
        await latecomer.SubscribeAsync(statusTopic);
        var retained = await latecomer.NextMessageAsync();
        Assert.True(retained.Retain);
        Assert.Equal("{\"state\":\"offline\"}", retained.Text());
    }

    /// <summary>
    /// mosquitto publishes the will of a client it fails to write to (EPIPE) even when that client's DISCONNECT already waits in
    /// its receive buffer: with mosquitto_sub under steady traffic, 100 of 100 clean disconnects fired the will. An agent stopped
    /// on purpose while the service acknowledges its passages must not read as "connection lost".
    /// </summary>
    [Fact]
    public async Task Disposing_a_subscriber_with_a_will_under_steady_traffic_sends_no_will()
    {
        await using var broker = await StartBrokerAsync();
        const string statusTopic = "tunnel/v1/maoliling/agents/agent-7/status";
        const string ackTopic = "tunnel/v1/maoliling/agents/agent-7/ack";
        await using var watcher = await ConnectAsync(CentralOptions(broker, "central-1"));
        await watcher.SubscribeAsync(statusTopic);
        await using var central = await ConnectAsync(CentralOptions(broker, "central-2"));
        using var stopFlood = new CancellationTokenSource();
        // The service's acknowledgements, one every millisecond or so, as during a busy hour.
        var flood = Task.Run(async () =>
        {
            while (!stopFlood.IsCancellationRequested)
            {
                await central.PublishAsync(ackTopic, Utf8("{\"storedThroughSeq\":1}"), qos: 1);
            }
        });

        const int Stops = 10;
        for (var i = 0; i < Stops; i++)
        {
            var clientId = $"agent-7-run-{i}";
            var agent = await ConnectAsync(CentralOptions(broker, clientId) with
            {
                Will = new MqttWill(statusTopic, Utf8($"offline {i}"), Qos: 1, Retain: false),
            });
            await agent.SubscribeAsync(ackTopic);
            await agent.NextMessageAsync();
            await agent.PublishAsync(statusTopic, Utf8($"stopping {i}"));
            Assert.Equal($"stopping {i}", (await watcher.NextMessageAsync()).Text());
            await agent.DisposeAsync();
            // mosquitto logs how the connection ended and fires any will in the same turn of its loop: the marker published
            // after that line reaches the watcher after the will would have.
            var ended = Stopwatch.StartNew();
            while (!File.ReadAllText(broker.LogPath).Contains($"Client {clientId} ", StringComparison.Ordinal))
            {
                Assert.True(ended.Elapsed < WaitLimit, $"mosquitto never logged the end of {clientId}'s connection");
                await Task.Delay(20); // the poll interval: the broker's log decides
            }
            await central.PublishAsync(statusTopic, Utf8($"marker {i}"));
            Assert.Equal($"marker {i}", (await watcher.NextMessageAsync()).Text());
        }

        await stopFlood.CancelAsync();
        await flood;
        var endings = File.ReadLines(broker.LogPath).Where(l => l.Contains("Client agent-7-run-", StringComparison.Ordinal)).ToList();
        Assert.Equal(Stops, endings.Count(l => l.EndsWith(" disconnected.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Retained_will_is_published_when_a_client_process_is_killed()
    {
        await using var broker = await StartBrokerAsync();
        const string statusTopic = "tunnel/v1/maoliling/agents/agent-9/status";
        await using var watcher = await ConnectAsync(CentralOptions(broker, "central-1"));
        await watcher.SubscribeAsync(statusTopic);
        using var agentProcess = StartMosquittoPubWithWill(broker, "agent-9", statusTopic, willPayload: "offline");
        try
        {
            // The agent announces itself like a real one: seeing "online" proves it is connected.
            await agentProcess.StandardInput.WriteLineAsync("online");
            await agentProcess.StandardInput.FlushAsync();
            Assert.Equal("online", (await watcher.NextMessageAsync()).Text());

            agentProcess.Kill();
            var will = await watcher.NextMessageAsync();

            Assert.Equal(statusTopic, will.Topic);
            Assert.Equal("offline", will.Text());
        }
        finally
        {
            if (!agentProcess.HasExited)
            {
                agentProcess.Kill();
            }

            await agentProcess.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Client_reconnects_by_itself_after_the_broker_crashes_and_restarts()
    {
        await using var broker = await StartBrokerAsync();
        await using var subscriber = await ConnectAsync(CentralOptions(broker, "central-1"));
        await using var publisher = await ConnectAsync(CentralOptions(broker, "agent-1"));
        await subscriber.SubscribeAsync("tunnel/v1/#");
        var publisherLost = publisher.WhenConnectionIs(false);
        var subscriberLost = subscriber.WhenConnectionIs(false);

        broker.Kill();
        await Task.WhenAll(publisherLost, subscriberLost);
        Assert.False(publisher.IsConnected);
        // Only now: connection events reach handlers after the fact, and the first connection's could still reach a
        // handler added before the kill and complete it at once (CI once found the client not yet back here).
        var publisherBack = publisher.WhenConnectionIs(true);
        var subscriberBack = subscriber.WhenConnectionIs(true);
        await broker.RestartAsync();
        await Task.WhenAll(publisherBack, subscriberBack);

        Assert.True(publisher.IsConnected);
        // The subscriber had a clean session: receiving this proves it subscribed again by itself.
        // Retained, because its SUBSCRIBE may reach the broker after this publish (another connection).
        await publisher.PublishAsync("tunnel/v1/maoliling/north/exit/passage", Utf8("after restart"), qos: 1, retain: true);
        Assert.Equal("after restart", (await subscriber.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task A_qos1_publish_while_the_broker_is_down_is_queued_and_delivered_once_when_it_is_back()
    {
        await using var broker = await StartBrokerAsync();
        await using var subscriber = await ConnectAsync(CentralOptions(broker, "central-1") with { CleanStart = false, SessionExpirySeconds = 3600 });
        await using var publisher = await ConnectAsync(CentralOptions(broker, "agent-1") with { CleanStart = false, SessionExpirySeconds = 3600 });
        await subscriber.SubscribeAsync("tunnel/v1/#");
        var lost = Task.WhenAll(publisher.WhenConnectionIs(false), subscriber.WhenConnectionIs(false));
        // Stopped the way that keeps the subscriber's session: whichever client reconnects first, the messages wait for it.
        await broker.StopAsync();
        await lost;
        var back = Task.WhenAll(publisher.WhenConnectionIs(true), subscriber.WhenConnectionIs(true));

        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failures = new List<Exception>();
        // Neither throws nor reports a failure: libmosquitto keeps the message for the connection to come.
        publisher.Publish("tunnel/v1/maoliling/north/exit/passage", Utf8("sent while down"), 1, false, e => { lock (failures) failures.Add(e); },
            () => accepted.TrySetResult());
        var awaited = publisher.PublishAsync("tunnel/v1/maoliling/north/exit/passage", Utf8("awaited while down"), qos: 1, retain: false);

        await broker.RestartAsync();
        await back;
        await accepted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await awaited.WaitAsync(TimeSpan.FromSeconds(20));
        var received = new[] { (await subscriber.NextMessageAsync()).Text(), (await subscriber.NextMessageAsync()).Text() };
        Assert.Equal(["awaited while down", "sent while down"], received.Order());
        lock (failures) Assert.Empty(failures);
        // Once each: nothing more arrives after a message published now.
        await publisher.PublishAsync("tunnel/v1/maoliling/north/exit/passage", Utf8("marker"), qos: 1, retain: false);
        Assert.Equal("marker", (await subscriber.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task Message_larger_than_the_brokers_limit_is_refused_and_the_client_keeps_working()
    {
        await using var broker = await StartBrokerAsync(maxPacketSize: 256 * 1024);
        await using var client = await ConnectAsync(CentralOptions(broker, "agent-1"));
        await client.SubscribeAsync("tunnel/v1/#");

        var error = await Assert.ThrowsAsync<MqttException>(() =>
            client.PublishAsync("tunnel/v1/maoliling/north/entry/snapshot/1", new byte[300 * 1024]).WaitAsync(WaitLimit));

        Assert.True(error.LibraryError is not null || error.ReasonCode == MqttReasonCodes.PacketTooLarge, error.Message);
        Assert.Contains("large", error.Message, StringComparison.OrdinalIgnoreCase);
        await client.PublishAsync("tunnel/v1/maoliling/north/entry/snapshot/2", new byte[100 * 1024]);
        Assert.Equal(100 * 1024, (await client.NextMessageAsync()).Payload.Length);
    }

    /// <summary>A separate client process that publishes each line of its stdin as a retained status and has a retained will.</summary>
    private static Process StartMosquittoPubWithWill(MosquittoBroker broker, string clientId, string statusTopic, string willPayload)
    {
        var start = new ProcessStartInfo(MosquittoInstallation.Find("mosquitto_pub", "mosquitto-clients"))
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "-V", "5", "-h", broker.Host, "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-u", CentralUser, "-P", CentralPassword, "-i", clientId, "-t", statusTopic, "-q", "1", "-r", "-l",
                     "--will-topic", statusTopic, "--will-payload", willPayload, "--will-qos", "1", "--will-retain",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
