using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Storage;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>kill -9 of `tunnel central` in the middle of a stream: acknowledged means stored, and the agents' re-sends make it whole.</summary>
public sealed class KillTests(ITestOutputHelper output)
{
    private const int Passages = 1200;
    /// <summary>The last 200 are captured while the service is down and go out with the re-sends.</summary>
    private const int StreamedBeforeKill = 1000;
    /// <summary>The service acknowledges per batch (up to 500), so the first ack can be well past this.</summary>
    private const int KillAfterAck = 60;
    /// <summary>
    /// The rest of the stream waits for the first acknowledgement: on a loaded machine the service once
    /// stored and acknowledged all 1,000 before the kill came, and the test proved nothing.
    /// </summary>
    private const int StreamedBeforeFirstAck = 500;

    [Fact]
    public async Task After_a_kill_9_every_acknowledged_passage_is_stored_and_resending_the_rest_stores_each_exactly_once()
    {
        using var dir = new TempDirectory();
        var (brokerPort, httpPort) = (Hosts.FreeTcpPort(), Hosts.FreeTcpPort());
        var central = await CentralProcess.StartAsync(dir.Path, brokerPort, httpPort);
        try
        {
            var passwords = central.Passwords();
            // The agent's outbox: everything it captured, kept until the central service acknowledges it.
            var agent = await TestAgent.ConnectAsync("127.0.0.1", brokerPort, u => passwords[u], "north", Portal.Entry, 1);
            // Captured over the last few seconds: none of them inside long enough to be overdue during the test, so the
            // service's work is ingest and acknowledgement, not a flood of alarms for a thousand "stopped" vehicles.
            var start = DateTimeOffset.UtcNow.AddSeconds(-5);
            var outbox = Enumerable.Range(1, Passages).Select(i => agent.Next(start.AddMilliseconds(i * 20), $"浙A{i:D5}")).ToList();

            // The stream, as fast as the broker takes it, while the test waits for the first acknowledgements.
            var firstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var stream = Task.Run(async () =>
            {
                foreach (var passage in outbox.Take(StreamedBeforeKill))
                {
                    if (passage.Seq == StreamedBeforeFirstAck + 1) await firstAck.Task;
                    try { await agent.PublishAsync(passage); }
                    catch (Exception e) when (e is Mqtt.MqttException or ObjectDisposedException or OperationCanceledException) { return; }
                }
            });
            await agent.AckAsync(KillAfterAck);
            firstAck.SetResult();
            await central.KillAsync();
            await agent.DisposeAsync();
            await stream;
            var acknowledged = agent.LastAck;
            output.WriteLine($"killed at ack {acknowledged} of {Passages}");
            // Mid-stream: some acknowledged, some not (else the re-send below would prove nothing).
            Assert.InRange(acknowledged, KillAfterAck, StreamedBeforeKill - 1);

            // Straight after the crash, before anything could repair it: what was acknowledged is in the database.
            using (var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(dir.Path)))
            {
                Assert.True(store.HighestStoredSeq(agent.AgentId) >= acknowledged, $"acknowledged {acknowledged}, stored through {store.HighestStoredSeq(agent.AgentId)}");
                var ids = store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId).ToHashSet();
                Assert.All(outbox.Take((int)acknowledged), p => Assert.Contains(p.EventId, ids));
            }

            central = await CentralProcess.StartAsync(dir.Path, brokerPort, httpPort);
            passwords = central.Passwords();
            // The agent reconnects and sends everything above the last acknowledgement it had: what it captured
            // during the outage, and re-sends of which the service stored some but had not acknowledged them yet.
            await using var again = await TestAgent.ConnectAsync("127.0.0.1", brokerPort, u => passwords[u], "north", Portal.Entry, 1);
            await Task.WhenAll(outbox.Where(p => p.Seq > acknowledged).Select(p => again.PublishAsync(p)).ToList());
            Assert.Equal(Passages, (await again.AckAsync(Passages, TimeSpan.FromSeconds(60))).StoredThroughSeq);
            await central.KillAsync();

            using var final = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(dir.Path));
            var stored = final.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage).ToList();
            Assert.Equal(Passages, stored.Count);
            Assert.Equal(outbox.Select(p => p.EventId).Order(), stored.Select(p => p.EventId).Order());
            Assert.Equal(Enumerable.Range(1, Passages).Select(i => (long)i), stored.Select(p => p.Seq).Order());
            Assert.Empty(final.ReadDeadLetters(10));
        }
        catch
        {
            output.WriteLine(central.Output);
            throw;
        }
        finally
        {
            await central.DisposeAsync();
        }
    }

    [Fact]
    public async Task After_a_kill_9_the_private_broker_still_holds_the_alarms_queued_for_a_subscriber_that_is_away()
    {
        using var dir = new TempDirectory();
        var (brokerPort, httpPort) = (Hosts.FreeTcpPort(), Hosts.FreeTcpPort());
        var central = await CentralProcess.StartAsync(dir.Path, brokerPort, httpPort);
        try
        {
            var passwords = central.Passwords();
            // Another system's persistent subscription to the alarms; it is away while the alarm comes.
            MqttClient OtherSystem() => new(new MqttClientOptions
            {
                Host = "127.0.0.1", Port = brokerPort, ClientId = "traffic-control-centre", Username = "central", Password = passwords["central"],
                CleanStart = false, SessionExpirySeconds = 3600,
            });
            await using (var away = OtherSystem())
            {
                await away.ConnectAsync();
                await away.SubscribeAsync(Topics.Alarms("maoliling"), 1);
            }
            await using (var watcher = await MqttPeer.ConnectAsync("127.0.0.1", brokerPort, "central", passwords["central"], Topics.Alarms("maoliling")))
            await using (var agent = await TestAgent.ConnectAsync("127.0.0.1", brokerPort, u => passwords[u], "north", Portal.Exit, 2))
            {
                var status = new AgentStatus { AgentId = agent.AgentId, Online = false, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 2, LastError = "camera power lost" };
                await agent.Client.PublishAsync(Topics.AgentStatus("maoliling", agent.AgentId), System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(status)), 1, true);
                var raised = await watcher.AlarmAsync(a => a.Kind == AlarmKind.AgentOffline && a.AgentId == agent.AgentId, "the agent-offline alarm on MQTT");

                // The service dies hard; its watchdog stops the broker, which saves what it holds. A supervisor starts the
                // service again at once, while the old broker may still hold the port: the new one waits for it.
                await central.KillAsync(waitForPorts: false);
                central = await CentralProcess.StartAsync(dir.Path, brokerPort, httpPort);

                await using var back = OtherSystem();
                var delivered = new List<AlarmTransition>();
                await back.ConnectAsync();
                using var wait = new CancellationTokenSource(Wait.Deadline);
                await foreach (var m in back.Messages.ReadAllAsync(wait.Token))
                {
                    delivered.Add(TunnelJson.Deserialize<AlarmTransition>(System.Text.Encoding.UTF8.GetString(m.Payload))!);
                    if (delivered[^1].AlarmId == raised.AlarmId) break;
                }
                Assert.Equal(AlarmState.ActiveUnacknowledged, delivered[^1].State);
            }
        }
        catch
        {
            output.WriteLine(central.Output);
            throw;
        }
        finally
        {
            await central.DisposeAsync();
        }
    }
}
