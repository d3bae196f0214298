using System.Collections.Concurrent;
using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>
/// An agent's retained status drives its agent-offline alarm: lost (its last will) calls for someone,
/// stopped on purpose only tells the operators the portal is blind. Real service, private mosquitto, SQLite.
/// </summary>
public sealed class AgentStatusAlarmTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;
    private readonly BlockingCollection<AlarmTransition> _alarms = new();
    private LiveCentral _live = null!;

    public async Task InitializeAsync() =>
        _live = await LiveCentral.StartAsync("maoliling-north-exit-1", service => service.AlarmChanged += _alarms.Add);

    public async Task DisposeAsync() => await _live.DisposeAsync();

    private Task Send(string agentId, bool online, string? lastError = null, bool? stopped = null) =>
        _live.Agent.PublishAsync(Topics.AgentStatus("maoliling", agentId),
            Encoding.UTF8.GetBytes(TunnelJson.Serialize(new AgentStatus
            {
                AgentId = agentId, Online = online, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1,
                LastError = lastError, Stopped = stopped,
            })), qos: 1, retain: true).WaitAsync(Deadline);

    private AlarmTransition Next()
    {
        Assert.True(_alarms.TryTake(out var alarm, Deadline), $"no alarm transition within {Deadline.TotalSeconds:0} s");
        return alarm;
    }

    [Fact]
    public async Task A_lost_agent_raises_a_medium_alarm_that_clears_when_it_is_back()
    {
        await Send("maoliling-north-exit-1", online: false, lastError: "connection lost (last will)");
        var raised = Next();
        Assert.Equal((AlarmKind.AgentOffline, AlarmState.ActiveUnacknowledged, AlarmPriority.Medium), (raised.Kind, raised.State, raised.Priority));
        Assert.Equal("agent maoliling-north-exit-1 offline: connection lost (last will)", raised.Reason);
        Assert.Equal("agent-offline-error", raised.ReasonCode);
        Assert.Equal(new Dictionary<string, string> { ["agent"] = "maoliling-north-exit-1", ["error"] = "connection lost (last will)" }, raised.ReasonArgs);

        await Send("maoliling-north-exit-1", online: true);
        var cleared = Next();
        Assert.Equal((raised.AlarmId, AlarmState.ClearedUnacknowledged), (cleared.AlarmId, cleared.State));
        Assert.Equal(("agent-online", "agent maoliling-north-exit-1 back online"), (cleared.ReasonCode, cleared.Reason));
    }

    [Fact]
    public async Task An_acknowledgement_in_the_same_turn_as_a_sites_change_that_rebuilds_the_engine_is_kept()
    {
        await Send("maoliling-north-exit-1", online: false, lastError: "connection lost (last will)");
        var raised = Next();
        // A bore whose length changed is rebuilt from the store. Both commands are queued from inside a turn, so the
        // loop runs them in the same turn: the acknowledgement is not stored yet when the rebuild reads the store.
        var longer = SitesFile.Maoliling with
        {
            Sites = [.. SitesFile.Maoliling.Sites.Select(site => site with { Bores = [.. site.Bores.Select(b => b.Id == "north" ? b with { LengthMeters = b.LengthMeters + 100 } : b)] })],
        };
        Task acknowledged = null!;
        Task<IReadOnlyList<string>> reconfigured = null!;
        await _live.Service.Post((_, _) =>
        {
            acknowledged = _live.Service.AcknowledgeAsync(raised.AlarmId, "op", null);
            reconfigured = _live.Service.ReconfigureAsync(longer);
            return true;
        }).WaitAsync(Deadline);
        await acknowledged.WaitAsync(Deadline);
        Assert.Empty(await reconfigured.WaitAsync(Deadline));

        Assert.Equal(AlarmState.ActiveAcknowledged, Assert.Single(_live.Service.Snapshot.OpenAlarms, a => a.AlarmId == raised.AlarmId).State);
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged], _live.Store.AlarmHistory(raised.AlarmId).Select(t => t.State));
        // And it is live: the agent back online closes it (acknowledged and cleared).
        await Send("maoliling-north-exit-1", online: true);
        AlarmTransition next;
        do next = Next(); while (next.AlarmId != raised.AlarmId || next.State == AlarmState.ActiveAcknowledged);
        Assert.Equal(AlarmState.Closed, next.State);
    }

    [Fact]
    public async Task An_agent_stopped_on_purpose_raises_a_low_alarm_that_says_so()
    {
        await Send("maoliling-north-exit-1", online: false, lastError: "stopped", stopped: true);
        var raised = Next();
        Assert.Equal((AlarmKind.AgentOffline, AlarmPriority.Low), (raised.Kind, raised.Priority));
        Assert.Equal(("agent-stopped", "agent maoliling-north-exit-1 stopped"), (raised.ReasonCode, raised.Reason));
        Assert.Equal("maoliling-north-exit-1", raised.AgentId);
    }
    [Fact]
    public async Task An_agents_huge_error_text_is_cut_and_every_alarm_still_reaches_mqtt()
    {
        await using var listener = await Listen();
        // 200 KB of error text: within a status's size, but doubled into an alarm no broker would take, and every
        // alarm after it used to wait behind it for good.
        await Send("maoliling-north-exit-1", online: false, lastError: new string('x', 200_000));
        var cut = Next();
        Assert.True(cut.Reason!.Length < 1_000, $"reason of {cut.Reason.Length} characters");
        Assert.EndsWith("…", cut.ReasonArgs!["error"]);
        await Send("maoliling-north-exit-2", online: false, lastError: "camera stream lost");
        var after = Next();

        var published = new HashSet<Guid>();
        using var limit = new CancellationTokenSource(Deadline);
        while (!published.Contains(after.AlarmId))
            published.Add(TunnelJson.Deserialize<AlarmTransition>((await listener.Messages.ReadAsync(limit.Token)).Payload)!.AlarmId);
        Assert.Contains(cut.AlarmId, published);
    }

    [Fact]
    public async Task A_status_that_is_no_status_is_dead_lettered_with_its_reason_and_the_next_good_one_is_taken()
    {
        await _live.Agent.PublishAsync(Topics.AgentStatus("maoliling", "maoliling-north-exit-1"), "not json at all"u8.ToArray(), qos: 1, retain: false)
            .WaitAsync(Deadline);
        await Send("maoliling-north-exit-1", online: false, lastError: "connection lost (last will)");
        // The writer stores in the order it was given work: the alarm the good status raised comes after the dead letter.
        Assert.Equal(AlarmKind.AgentOffline, Next().Kind);
        var letter = Assert.Single(_live.Store.ReadDeadLetters(10), d => d.ReasonCode == "bad-status");
        Assert.Equal("maoliling-north-exit-1", letter.AgentId);
        Assert.Equal("not json at all", Encoding.UTF8.GetString(letter.Payload));
    }

    private async Task<Mqtt.MqttClient> Listen()
    {
        var client = new Mqtt.MqttClient(new Mqtt.MqttClientOptions
        {
            Host = _live.Broker.Host, Port = _live.Broker.Port, ClientId = "alarm-listener", Username = "central", Password = "central-secret",
        });
        await client.ConnectAsync().WaitAsync(Deadline);
        await client.SubscribeAsync(Topics.Alarms("maoliling")).WaitAsync(Deadline);
        return client;
    }
}

/// <summary>The on-delay of agent-offline alarms: an agent back within it raises nothing. Real service, private mosquitto, SQLite.</summary>
public sealed class AgentOfflineDelayTests
{
    [Fact]
    public async Task An_agent_back_within_the_delay_raises_nothing_and_one_still_away_after_it_raises_its_alarm()
    {
        var alarms = new BlockingCollection<AlarmTransition>();
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1", s => s.AlarmChanged += alarms.Add,
            agentOfflineDelay: TimeSpan.FromSeconds(1));
        Task Send(string agentId, bool online) =>
            live.Agent.PublishAsync(Topics.AgentStatus("maoliling", agentId),
                Encoding.UTF8.GetBytes(TunnelJson.Serialize(new AgentStatus
                {
                    AgentId = agentId, Online = online, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1,
                    LastError = online ? null : "connection lost (last will)",
                })), qos: 1, retain: true).WaitAsync(LiveCentral.Deadline);

        // Restarted: gone, and back at once. The other agent went away just after it, and stays away.
        var sent = DateTimeOffset.UtcNow;
        await Send("maoliling-north-exit-1", online: false);
        await Send("maoliling-north-exit-1", online: true);
        await Send("maoliling-north-exit-2", online: false);

        Assert.True(alarms.TryTake(out var raised, LiveCentral.Deadline), "no alarm for the agent that stayed away");
        // The first agent's alarm would have come first; the only one is the second agent's, a delay after it left.
        Assert.Equal((AlarmKind.AgentOffline, "maoliling-north-exit-2"), (raised.Kind, raised.AgentId));
        Assert.True(raised.At - sent >= TimeSpan.FromSeconds(1), $"raised {(raised.At - sent).TotalMilliseconds:0} ms after it left");
        Assert.False(alarms.TryTake(out var more, 0), $"another alarm: {more?.AgentId}");
    }

    [Fact]
    public async Task An_agent_online_by_its_last_status_that_then_says_nothing_is_alarmed_and_cleared_when_it_speaks_again()
    {
        // A hung agent whose MQTT library still answers the broker's keep-alive: no last will, only silence.
        var clock = new SteppingWallClock();
        var alarms = new BlockingCollection<AlarmTransition>();
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1", s => s.AlarmChanged += alarms.Add, clock,
            agentOfflineDelay: TimeSpan.FromSeconds(30));
        Task SayOnline(double fps) => SayAsync(live, Status(online: true) with { Fps = fps }, a => a.Fps == fps);

        await SayOnline(25);
        var heard = clock.GetUtcNow();
        // 60 s of silence makes it offline from then on, and the alarm waits out the on-delay of 30 s like any other.
        // (The clock runs on in real time between the steps, so the first stops a few seconds short.)
        clock.Step(TimeSpan.FromSeconds(85));
        Assert.False(alarms.TryTake(out var early, TimeSpan.FromSeconds(1)), $"alarmed {(early?.At - heard)?.TotalSeconds:0} s after its last status");
        clock.Step(TimeSpan.FromSeconds(5));
        Assert.True(alarms.TryTake(out var raised, LiveCentral.Deadline), "a silent agent was never alarmed");
        Assert.Equal((AlarmKind.AgentOffline, AlarmPriority.Medium, "maoliling-north-exit-1"), (raised.Kind, raised.Priority, raised.AgentId));
        Assert.Contains("no status for", raised.Reason, StringComparison.Ordinal);

        await SayOnline(24);
        Assert.True(alarms.TryTake(out var cleared, LiveCentral.Deadline), "speaking again did not clear it");
        Assert.Equal((raised.AlarmId, AlarmState.ClearedUnacknowledged), (cleared.AlarmId, cleared.State));
    }

    [Fact]
    public async Task An_agent_that_keeps_dropping_off_is_alarmed_counting_from_its_first_drop()
    {
        // The service's clock is stepped by hand between the statuses: 20 s away, 5 s back, away again.
        var clock = new SteppingWallClock();
        var alarms = new BlockingCollection<AlarmTransition>();
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1", s => s.AlarmChanged += alarms.Add, clock,
            agentOfflineDelay: TimeSpan.FromSeconds(30));
        Task Say(bool online, string error) => SayAsync(live, Status(online) with { LastError = error }, a => a.LastError == error);

        var firstDrop = clock.GetUtcNow();
        await Say(online: false, "drop 1");
        clock.Step(TimeSpan.FromSeconds(20));
        await Say(online: true, "back 1");
        clock.Step(TimeSpan.FromSeconds(5));
        await Say(online: false, "drop 2");
        Assert.Empty(alarms);
        // 35 s after the first drop, 10 s after the second: away most of the time, so alarmed now.
        clock.Step(TimeSpan.FromSeconds(10));
        Assert.True(alarms.TryTake(out var raised, LiveCentral.Deadline), "a flapping agent was never alarmed");
        Assert.Equal((AlarmKind.AgentOffline, "maoliling-north-exit-1"), (raised.Kind, raised.AgentId));
        // Counted from the second drop it would come 30 s after that, 55 s after the first.
        Assert.True(raised.At - firstDrop < TimeSpan.FromSeconds(50), $"raised {(raised.At - firstDrop).TotalSeconds:0} s after the first drop");
    }

    private static AgentStatus Status(bool online) => new()
    {
        AgentId = "maoliling-north-exit-1", Online = online, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1,
    };

    /// <summary>Publishes the status and waits until the service has taken it (the clock must not move on before).</summary>
    private static async Task SayAsync(LiveCentral live, AgentStatus status, Func<AgentStatus, bool> taken)
    {
        await live.Agent.PublishAsync(Topics.AgentStatus("maoliling", status.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(status)), qos: 1, retain: true)
            .WaitAsync(LiveCentral.Deadline);
        Assert.True(SpinWait.SpinUntil(() => live.Service.Snapshot.Agents.Any(a => a.AgentId == status.AgentId && taken(a)), LiveCentral.Deadline),
            $"status {TunnelJson.Serialize(status)} not taken");
    }
}
