using System.Text;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Central.Tests;

/// <summary>
/// Alarm transitions reach MQTT (other systems listen there) at least once, across a crash between storing one and the
/// broker taking it: the store keeps which ones the broker accepted. Real service, private mosquitto, SQLite.
/// </summary>
public sealed class AlarmOutboxTests
{
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;

    private static AlarmTransition Transition(Guid id, AlarmState state, DateTimeOffset at) => new()
    {
        AlarmId = id, Kind = AlarmKind.AgentOffline, State = state, Priority = AlarmPriority.Medium, Site = "maoliling", Bore = "north",
        At = at, AgentId = "maoliling-north-exit-1", Reason = "agent maoliling-north-exit-1 offline",
    };

    private static async Task<AlarmTransition> NextAlarm(MqttClient client)
    {
        using var wait = new CancellationTokenSource(Deadline);
        var m = await client.Messages.ReadAsync(wait.Token);
        return TunnelJson.Deserialize<AlarmTransition>(Encoding.UTF8.GetString(m.Payload))!;
    }

    [Fact]
    public async Task A_transition_stored_but_never_published_before_a_crash_goes_out_after_the_restart()
    {
        // What a service killed between storing and publishing left: an operator closed an alarm, the broker never heard it.
        var id = Guid.NewGuid();
        var at = DateTimeOffset.UtcNow.AddMinutes(-3);
        var raised = Transition(id, AlarmState.ActiveUnacknowledged, at);
        var closed = Transition(id, AlarmState.Closed, at.AddMinutes(1)) with { By = "operator1" };

        await using var live = await LiveCentral.StartAsync("alarm-listener", _ => { }, beforeService: async l =>
        {
            l.Store.AddAlarmTransitions([raised, closed]);
            l.Store.Store(new Storage.StoreBatch { PublishedAlarms = [raised] });
            await l.Agent.SubscribeAsync(Topics.Alarms("maoliling"), 1).WaitAsync(Deadline);
        });

        var sent = await NextAlarm(live.Agent);
        Assert.Equal((id, AlarmState.Closed, "operator1"), (sent.AlarmId, sent.State, sent.By));
        // Taken by the broker, so marked: the next start has nothing to send again.
        await Task.Run(() => Assert.True(SpinWait.SpinUntil(() => live.Store.UnpublishedAlarms().Count == 0, Deadline), "still unpublished in the store"));
    }

    [Fact]
    public async Task A_live_transition_is_marked_published_once_the_broker_takes_it()
    {
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1", _ => { }, beforeService: l =>
            l.Agent.SubscribeAsync(Topics.Alarms("maoliling"), 1).WaitAsync(Deadline));
        var status = new AgentStatus { AgentId = "maoliling-north-exit-1", Online = false, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1 };
        await live.Agent.PublishAsync(Topics.AgentStatus("maoliling", status.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(status)), 1, true)
            .WaitAsync(Deadline);

        var raised = await NextAlarm(live.Agent);
        Assert.Equal(AlarmKind.AgentOffline, raised.Kind);
        Assert.Single(live.Store.AlarmHistory(raised.AlarmId));
        await Task.Run(() => Assert.True(SpinWait.SpinUntil(() => live.Store.UnpublishedAlarms().Count == 0, Deadline), "still unpublished in the store"));
    }

    [Fact]
    public async Task A_transition_the_broker_refuses_is_not_sent_again_at_every_start()
    {
        // The deployment's broker does not let the service publish alarms (its ACL): sending them again would change nothing.
        MosquittoAclRule[] acl =
        [
            MosquittoAclRule.ForUser("central", MqttTopicAccess.ReadWrite, "#"),
            MosquittoAclRule.ForUser("central", MqttTopicAccess.Deny, "tunnel/v1/+/alarms"),
            MosquittoAclRule.ForUser("agent", MqttTopicAccess.ReadWrite, "#"),
        ];
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1", _ => { }, acl: acl);
        var status = new AgentStatus { AgentId = "maoliling-north-exit-1", Online = false, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1 };
        await live.Agent.PublishAsync(Topics.AgentStatus("maoliling", status.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(status)), 1, true)
            .WaitAsync(Deadline);

        // Stored, refused by the broker (PUBACK 135, not authorised), and marked so: nothing left to send.
        await Task.Run(() => Assert.True(SpinWait.SpinUntil(
            () => live.Store.CurrentAlarms().Any(a => a.Kind == AlarmKind.AgentOffline) && live.Store.UnpublishedAlarms().Count == 0, Deadline),
            "the refused transition is still waiting to be published"));
        // The service goes on: the agent's return clears the alarm as ever.
        await live.Agent.PublishAsync(Topics.AgentStatus("maoliling", status.AgentId), Encoding.UTF8.GetBytes(TunnelJson.Serialize(status with { Online = true })), 1, true)
            .WaitAsync(Deadline);
        await Task.Run(() => Assert.True(SpinWait.SpinUntil(
            () => live.Store.CurrentAlarms().Any(a => a.Kind == AlarmKind.AgentOffline && a.State == AlarmState.ClearedUnacknowledged), Deadline),
            "the agent's return did not clear the alarm"));
    }
}
