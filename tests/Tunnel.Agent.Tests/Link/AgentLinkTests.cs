using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Link;
using Tunnel.Agent.Outbox;
using Tunnel.Agent.Tests.Outbox;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Agent.Tests.Support;
using Tunnel.EndToEnd.Tests.Support;

namespace Tunnel.Agent.Tests.Link;

/// <summary>The outbox through a real mosquitto: nothing is lost when the broker is away, crashes, or the agent restarts.</summary>
public sealed class AgentLinkTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private const string AgentPassword = "agent-secret", CentralPassword = "central-secret";
    private static readonly AgentIdentity Identity = new("maoliling", "north", Portal.Entry, 1, "maoliling-north-entry-1");

    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-link-").FullName;
    private MosquittoBroker _broker = null!;

    private static readonly Dictionary<string, string> Users = new() { [Identity.AgentId] = AgentPassword, ["central"] = CentralPassword };

    private static readonly MosquittoAclRule[] Acl =
        [
            MosquittoAclRule.ForUser("central", MqttTopicAccess.ReadWrite, "tunnel/v1/#"),
            MosquittoAclRule.ForUser(Identity.AgentId, MqttTopicAccess.Write, "tunnel/v1/maoliling/north/entry/#"),
            MosquittoAclRule.ForUser(Identity.AgentId, MqttTopicAccess.ReadWrite, Topics.AgentStatus("maoliling", Identity.AgentId)),
            MosquittoAclRule.ForUser(Identity.AgentId, MqttTopicAccess.Read, Topics.AgentAck("maoliling", Identity.AgentId)),
        ];

    public async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = Users,
            Acl = Acl,
            // As the central service's private broker runs: a crash loses what was not yet saved.
            SaveOnEveryChange = false,
        });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private AgentLink Link(PassageOutbox outbox, TimeProvider? clock = null) =>
        new(Identity, new BrokerLogin(_broker.Host, _broker.Port, Identity.AgentId, AgentPassword), outbox, clock ?? TimeProvider.System, NullLogger.Instance)
        {
            ResendUnconfirmedAfter = TimeSpan.FromSeconds(1),
        };

    /// <summary>The central service's login, driven by the test: what it acknowledges, and when.</summary>
    private async Task<MqttClient> CentralClientAsync(string clientId)
    {
        var central = new MqttClient(new MqttClientOptions
        {
            Host = _broker.Host, Port = _broker.Port, ClientId = clientId, Username = "central", Password = CentralPassword,
        });
        await central.ConnectAsync().WaitAsync(Limit);
        return central;
    }

    /// <summary>Acknowledges the agent through <paramref name="seq"/>, retained, as the central service does.</summary>
    private static Task AcknowledgeAsync(MqttClient central, long seq) => central.PublishAsync(Topics.AgentAck("maoliling", Identity.AgentId),
        System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(new AgentAck { AgentId = Identity.AgentId, StoredThroughSeq = seq, At = DateTimeOffset.UtcNow })),
        1, true).WaitAsync(Limit);

    /// <summary>
    /// Passages as the central service receives them, until each of <paramref name="count"/> has come (unconfirmed, one may
    /// come more than once); an agent's online status is answered by <paramref name="onStatus"/>, when given.
    /// </summary>
    private static async Task<List<Passage>> ReceiveEachAsync(MqttClient central, int count, Func<Task>? onStatus = null)
    {
        var received = new List<Passage>();
        while (received.DistinctBy(p => p.EventId).Count() < count)
        {
            var message = await central.Messages.ReadAsync().AsTask().WaitAsync(Limit);
            var json = System.Text.Encoding.UTF8.GetString(message.Payload);
            if (!Topics.IsAgentStatus(message.Topic, out _, out _)) received.Add(TunnelJson.Deserialize<Passage>(json)!);
            else if (onStatus is not null && TunnelJson.Deserialize<AgentStatus>(json) is { Online: true }) await onStatus();
        }
        return received;
    }

    /// <summary>Every passage went out numbered after <paramref name="earlier"/>, in the order captured, none under its first number.</summary>
    private static void AssertNumberedAfter(long earlier, IReadOnlyList<Passage> captured, IReadOnlyList<Passage> received)
    {
        Assert.All(received, p => Assert.InRange(p.Seq, earlier + 1, earlier + captured.Count));
        Assert.Equal(captured.Select((p, i) => (p.EventId, earlier + 1 + i)), received.DistinctBy(p => p.EventId).Select(p => (p.EventId, p.Seq)));
    }

    private static Task WhenEmpty(AgentLink link, PassageOutbox outbox)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        link.Confirmed += _ => { if (outbox.Depth == 0) done.TrySetResult(); };
        if (outbox.Depth == 0) done.TrySetResult();
        return done.Task.WaitAsync(Limit);
    }


    [Fact]
    public async Task Acknowledgements_that_meet_a_locked_outbox_are_reported_and_taken_once_it_is_free()
    {
        await using var central = await TestCentral.StartAsync(_broker, CentralPassword);
        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId, busyTimeout: TimeSpan.FromSeconds(1));
        for (var i = 1; i <= 5; i++) outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null);
        await using var link = Link(outbox);

        // Another writer holds the file longer than the outbox waits for it: every confirmation fails meanwhile.
        using (var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = outbox.Path, Pooling = false }.ToString()))
        {
            other.Open();
            using (var begin = other.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE"; begin.ExecuteNonQuery(); }
            link.Start();
            await central.WhenHolding(5).WaitAsync(Limit);
            await Wait.UntilAsync(() => link.LastError?.Contains("outbox", StringComparison.Ordinal) == true, "the status to name the outbox failure", Limit);
            Assert.Equal(5, outbox.Depth);
        }

        await WhenEmpty(link, outbox);
        Assert.Null(link.LastError);
    }

    [Fact]
    public async Task An_agent_refused_while_the_broker_lacked_its_login_connects_again_once_the_login_is_back()
    {
        await using var central = await TestCentral.StartAsync(_broker, CentralPassword);
        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId);
        await using var link = Link(outbox);
        link.Start();
        await Wait.UntilAsync(() => link.IsConnected, "the first connection", Limit);

        // The broker comes back from a restart without this agent's login: its automatic reconnect is refused.
        await _broker.StopAsync();
        await _broker.ReloadAsync(new Dictionary<string, string> { ["central"] = CentralPassword }, Acl);
        await _broker.RestartAsync();
        // Only the agent lacks a login; mosquitto names no client it refused.
        await Wait.UntilAsync(() => File.ReadAllText(_broker.LogPath).Contains("disconnected, not authorised", StringComparison.Ordinal),
            "the broker to refuse the agent", Limit);

        await _broker.ReloadAsync(Users, Acl);
        for (var i = 1; i <= 3; i++) { outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null); link.Notify(); }
        await central.WhenHolding(3).WaitAsync(Limit);
        await WhenEmpty(link, outbox);
        Assert.True(link.IsConnected);
    }

    [Fact]
    public async Task A_clean_stop_leaves_a_retained_status_that_says_stopped_not_lost()
    {
        await using var watcher = new MqttClient(new MqttClientOptions
        {
            Host = _broker.Host, Port = _broker.Port, ClientId = "status-watcher", Username = "central", Password = CentralPassword,
        });
        await watcher.ConnectAsync().WaitAsync(Limit);
        await watcher.SubscribeAsync(Topics.AgentStatus("maoliling", Identity.AgentId), 1).WaitAsync(Limit);
        async Task<AgentStatus> NextStatus() =>
            TunnelJson.Deserialize<AgentStatus>(System.Text.Encoding.UTF8.GetString((await watcher.Messages.ReadAsync().AsTask().WaitAsync(Limit)).Payload))!;

        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId);
        var link = Link(outbox);
        link.Start();
        AgentStatus status;
        do status = await NextStatus(); while (!status.Online);
        await link.DisposeAsync();

        do status = await NextStatus(); while (status.Online);
        Assert.True(status.Stopped);
        Assert.Equal("stopped", status.LastError);
    }

    [Fact]
    public async Task Every_passage_arrives_through_a_broker_crash_and_an_agent_restart()
    {
        await using var central = await TestCentral.StartAsync(_broker, CentralPassword);
        var jpeg = new byte[] { 0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9 };

        using (var outbox = PassageOutbox.Open(_dir, Identity.AgentId))
        {
            await using var link = Link(outbox);
            link.Start();
            for (var i = 1; i <= 20; i++) { outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), i % 2 == 0 ? jpeg : null); link.Notify(); }
            await central.WhenHolding(20).WaitAsync(Limit);
            await WhenEmpty(link, outbox);

            _broker.Kill();
            for (var i = 21; i <= 40; i++) { outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null); link.Notify(); }
            Assert.True(outbox.Depth >= 20, $"the passages captured while the broker is down wait in the outbox (depth {outbox.Depth})");
            await _broker.RestartAsync();
            await central.WhenHolding(40).WaitAsync(Limit);
            await WhenEmpty(link, outbox);

            // The agent stops with passages it has not sent at all.
            for (var i = 41; i <= 50; i++) outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null);
        }

        using (var outbox = PassageOutbox.Open(_dir, Identity.AgentId))
        {
            Assert.Equal(10, outbox.Depth);
            await using var link = Link(outbox);
            link.Start();
            await central.WhenHolding(50).WaitAsync(Limit);
            await WhenEmpty(link, outbox);
        }

        var arrived = central.Passages.Values.OrderBy(p => p.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), arrived.Select(p => p.Seq));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => $"浙J{i:00000}"), arrived.Select(p => p.Plate!.Text));
        // Each passage that names a snapshot had it delivered, byte for byte.
        var named = arrived.Where(p => p.Snapshot is not null).ToList();
        Assert.Equal(10, named.Count);
        Assert.All(named, p => Assert.Equal(jpeg, central.Snapshots[p.EventId]));
    }

    [Fact]
    public async Task An_agent_started_while_the_broker_is_down_delivers_once_it_is_up()
    {
        await _broker.StopAsync();
        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId);
        await using var link = Link(outbox);
        link.Start();
        for (var i = 1; i <= 5; i++) { outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null); link.Notify(); }
        Assert.False(link.IsConnected);

        await _broker.RestartAsync();
        await using var central = await TestCentral.StartAsync(_broker, CentralPassword);
        await central.WhenHolding(5).WaitAsync(Limit);
        await WhenEmpty(link, outbox);
        Assert.Equal(5, central.Passages.Count);
    }

    [Fact]
    public async Task An_agent_whose_clock_is_seven_minutes_fast_takes_the_service_clock_from_its_acknowledgements_and_remembers_it()
    {
        var fast = new SkewedClock(TimeSpan.FromMinutes(7));
        await using var central = await TestCentral.StartAsync(_broker, CentralPassword);
        using (var outbox = PassageOutbox.Open(_dir, Identity.AgentId))
        {
            await using var link = Link(outbox, fast);
            Assert.False(link.ServiceClock.Synchronised);
            Assert.Null(link.ClockOffsetMs);
            Assert.InRange((link.ServiceClock.GetUtcNow() - DateTimeOffset.UtcNow).TotalMinutes, 6.9, 7.1);

            link.Start();
            outbox.Add(PassageOutboxTests.Draft("浙J00001"), null);
            link.Notify();
            await WhenEmpty(link, outbox);

            // The test central acknowledges on the real clock: from now on the agent stamps on it, and says how far off its own clock is.
            Assert.True(link.ServiceClock.Synchronised);
            Assert.InRange((link.ServiceClock.GetUtcNow() - DateTimeOffset.UtcNow).TotalSeconds, -1, 1);
            Assert.InRange(link.ClockOffsetMs!.Value / 60_000, -7.02, -6.98);
        }

        // Restarted while the network is still down, it keeps stamping on the service's clock as last measured.
        using (var outbox = PassageOutbox.Open(_dir, Identity.AgentId))
        {
            Assert.InRange(outbox.ClockOffset!.Value.TotalMinutes, -7.02, -6.98);
            var clock = new ServiceClock(fast, outbox.ClockOffset);
            Assert.InRange((clock.GetUtcNow() - DateTimeOffset.UtcNow).TotalSeconds, -1.5, 1.5);
        }
    }

    [Fact]
    public async Task A_retained_acknowledgement_an_hour_old_confirms_but_does_not_set_the_clock()
    {
        // What a central service that has been away for an hour left on the agent's topic.
        await using (var old = new MqttClient(new MqttClientOptions
        {
            Host = _broker.Host, Port = _broker.Port, ClientId = "old-central", Username = "central", Password = CentralPassword,
        }))
        {
            await old.ConnectAsync().WaitAsync(Limit);
            var ack = new AgentAck { AgentId = Identity.AgentId, StoredThroughSeq = 5, At = DateTimeOffset.UtcNow.AddHours(-1) };
            await old.PublishAsync(Topics.AgentAck("maoliling", Identity.AgentId), System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(ack)), 1, true).WaitAsync(Limit);
        }

        // Five passages kept while no central service was listening (none is now, so no live acknowledgement can come),
        // in a file that had been talking to it before: the acknowledgement counts this file's numbers.
        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId);
        outbox.MarkNumberingKnown();
        for (var i = 1; i <= 5; i++) outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null);
        await using var link = Link(outbox);
        var confirmed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        link.Confirmed += seq => confirmed.TrySetResult(seq);
        link.Start();
        Assert.Equal(5, await confirmed.Task.WaitAsync(Limit));

        Assert.False(link.ServiceClock.Synchronised);
        Assert.Null(link.ClockOffsetMs);
        Assert.Null(outbox.ClockOffset);
        Assert.InRange((link.ServiceClock.GetUtcNow() - DateTimeOffset.UtcNow).TotalSeconds, -1, 1);
    }

    [Theory]
    [InlineData(1042)]
    [InlineData(3)]
    public async Task Passages_of_a_replaced_outbox_meeting_no_retained_acknowledgement_wait_for_the_services_first_and_are_numbered_after_it(long earlier)
    {
        // A broker that lost its retained messages (a new one, or its data gone): the service's acknowledgement of the earlier
        // outbox file reaches the agent only live, as the reply to its status.
        await using var central = await CentralClientAsync("live-ack-central");
        Task Acknowledge(long seq) => AcknowledgeAsync(central, seq);
        await central.SubscribeAsync(Topics.AllPassages, 1).WaitAsync(Limit);
        await central.SubscribeAsync(Topics.AgentStatus("maoliling", Identity.AgentId), 1).WaitAsync(Limit);

        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId);
        var captured = Enumerable.Range(1, 5).Select(i => outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null)).ToList();
        await using var link = Link(outbox);
        link.Start();

        // The service answers each status with what it holds of the agent: the earlier file's numbers.
        var received = await ReceiveEachAsync(central, captured.Count, () => Acknowledge(earlier));

        // None went out under a number the earlier file's acknowledgement covers, and none was deleted unsent.
        AssertNumberedAfter(earlier, captured, received);
        Assert.Equal(5, outbox.Depth);
        await Acknowledge(earlier + 5);
        await WhenEmpty(link, outbox);
    }

    [Theory]
    [InlineData(1042)]
    // Fewer than the new file numbered before it reached the broker: confirming 3 would have deleted three of them.
    [InlineData(3)]
    public async Task Passages_of_a_replaced_outbox_are_numbered_after_the_retained_acknowledgement_of_the_earlier_one_and_none_is_lost(long earlier)
    {
        await using var central = await CentralClientAsync("replaced-outbox-central");
        Task Acknowledge(long seq) => AcknowledgeAsync(central, seq);
        // What the central service last acknowledged of this agent before its outbox file was lost with its disk.
        await Acknowledge(earlier);
        await central.SubscribeAsync(Topics.AllPassages, 1).WaitAsync(Limit);

        // The new outbox numbers from 1 again; these were captured before the agent reached the broker.
        using var outbox = PassageOutbox.Open(_dir, Identity.AgentId);
        var captured = Enumerable.Range(1, 5).Select(i => outbox.Add(PassageOutboxTests.Draft($"浙J{i:00000}"), null)).ToList();
        await using var link = Link(outbox);
        link.Start();

        var received = await ReceiveEachAsync(central, captured.Count);

        // None went out under its old number, which the earlier file's acknowledgement would seem to cover; none was deleted.
        AssertNumberedAfter(earlier, captured, received);
        Assert.Equal(5, outbox.Depth);
        Assert.Contains("renumbered", link.LastError, StringComparison.Ordinal);

        await Acknowledge(earlier + 5);
        await WhenEmpty(link, outbox);
        Assert.Equal(earlier + 6, outbox.Add(PassageOutboxTests.Draft("浙J00006"), null).Seq);
    }

    /// <summary>A wall clock off by a fixed amount, as an edge box without a time server keeps it; its monotonic clock is the real one.</summary>
    private sealed class SkewedClock(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + skew;
    }
}
