using System.Diagnostics;
using System.Text.Json;
using Tunnel.Agent.Tests.Support;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Mqtt;
using Tunnel.Storage;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>
/// `tunnel agent` as its own process on a video the test draws: vehicles with Chinese plates pass
/// the virtual loop, the agent reads them and delivers them through a real mosquitto to the real
/// central service, which stores each passage once with its snapshot.
/// </summary>
public sealed class AgentFlowTests(ITestOutputHelper output)
{
    private const string AgentId = "maoliling-north-entry-1";

    private static readonly SyntheticVehicle[] Traffic =
    [
        new(1, 0.3, "浙J12345"),
        new(1, 1.6, "浙A8B2C7", PlateColor.Yellow, VehicleClass.Truck, 35),
        new(1, 3.4, "皖K7H8J9", SpeedKmh: 50),
        new(1, 4.8, "沪AD12345", PlateColor.Green, SpeedKmh: 45),
        new(1, 6.2, "苏E5F6G8", Class: VehicleClass.Van),
        new(1, 7.6, "粤B24680", SpeedKmh: 55),
    ];

    [Fact]
    public async Task A_drawn_video_reaches_the_central_service_as_one_passage_per_vehicle_with_snapshots()
    {
        using var dir = new TempDirectory();
        var clip = SyntheticTraffic.Render(Path.Combine(dir.Path, "entry.avi"), 1280, 720, 25, Traffic);
        await using var host = await Hosts.StartAsync(Hosts.Embedded(Path.Combine(dir.Path, "central")), TestOutputLoggerProvider.Factory(output));
        var config = WriteConfig(dir.Path, clip, host.BrokerPort, new Dictionary<string, object>
        {
            ["CredentialsFile"] = Path.Combine(dir.Path, "central", "broker", "credentials.json"),
        });

        var (exit, log) = await RunAgentAsync(config, TimeSpan.FromMinutes(3));
        output.WriteLine(log);
        Assert.Equal(0, exit); // 0: the source ended and the central service confirmed every passage

        var stored = host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage).Where(p => p.AgentId == AgentId).OrderBy(p => p.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, Traffic.Length).Select(i => (long)i), stored.Select(p => p.Seq));
        var drawn = clip.Drawn.OrderBy(d => d.ReachesLoopAt).ToList();
        var exact = stored.Zip(drawn).Count(pair => pair.First.Plate?.Text == pair.Second.Vehicle.Plate);
        Assert.True(exact >= Traffic.Length - 1, $"{exact} of {Traffic.Length} plates exact: {string.Join(", ", stored.Select(p => p.Plate?.Text ?? "-"))}");
        Assert.All(stored, p =>
        {
            Assert.Equal(Topics.SnapshotReference(p.EventId), p.Snapshot);
            var jpeg = host.Snapshots.Load(p.EventId);
            Assert.NotNull(jpeg);
            Assert.Null(SnapshotStore.Reject(jpeg));
        });
        // Capture times follow the video: each passage when its vehicle's front reached the loop line. They are
        // stamped on the service's clock as the agent knows it, and that knowledge only gets better while it runs:
        // a quicker acknowledgement than the first moves later passages forward by the difference: as much as the first
        // one's delay, 0.11 s once and 0.31 s another time on a loaded CI machine (this test took 25 s there, 8 s alone).
        // So later passages may be up to ClockLearning late against the first, never early; vehicles come 1.3 s apart or more.
        const double ClockLearning = 0.5;
        var start = stored[0].CapturedAt - TimeSpan.FromSeconds(drawn[0].ReachesLoopAt);
        foreach (var (p, d) in stored.Zip(drawn))
            Assert.InRange((p.CapturedAt - start).TotalSeconds, d.ReachesLoopAt - 0.1, d.ReachesLoopAt + 0.1 + ClockLearning);
    }

    [Fact]
    public async Task Passages_captured_while_the_broker_is_down_survive_a_kill_9_of_the_agent_and_arrive_once()
    {
        using var dir = new TempDirectory();
        var clip = SyntheticTraffic.Render(Path.Combine(dir.Path, "entry.avi"), 1280, 720, 25, Traffic);
        const string centralPassword = "central-secret", agentPassword = "agent-secret";
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            DataDirectory = Path.Combine(dir.Path, "broker"),
            Users = new Dictionary<string, string> { ["central"] = centralPassword, [AgentId] = agentPassword },
            Acl =
            [
                MosquittoAclRule.ForUser("central", MqttTopicAccess.ReadWrite, "tunnel/v1/#"),
                MosquittoAclRule.ForUser(AgentId, MqttTopicAccess.Write, "tunnel/v1/maoliling/north/entry/#"),
                MosquittoAclRule.ForUser(AgentId, MqttTopicAccess.ReadWrite, Topics.AgentStatus("maoliling", AgentId)),
                MosquittoAclRule.ForUser(AgentId, MqttTopicAccess.Read, Topics.AgentAck("maoliling", AgentId)),
            ],
        });
        await using var host = await Hosts.StartAsync(Hosts.External(Path.Combine(dir.Path, "central"), broker, "central", centralPassword), TestOutputLoggerProvider.Factory(output));
        var config = WriteConfig(dir.Path, clip, broker.Port, new Dictionary<string, object> { ["Password"] = agentPassword });
        await broker.StopAsync();

        // The camera runs at its own pace while the broker is away; the agent dies hard once it has kept three passages.
        using var agent = StartAgent(config, realTime: true);
        var outbox = Path.Combine(dir.Path, "agent", $"outbox-{AgentId}.db");
        await Wait.UntilAsync(() => OutboxRows(outbox) >= 3, "three passages in the agent's outbox", TimeSpan.FromSeconds(90));
        agent.Kill(entireProcessTree: true);
        await agent.WaitForExitAsync();
        var kept = OutboxRows(outbox);
        output.WriteLine($"killed with {kept} passages in the outbox");

        // Back: the broker, then the agent (its camera now shows an empty folder: nothing new to see), which delivers what it kept.
        await broker.RestartAsync();
        var empty = Directory.CreateDirectory(Path.Combine(dir.Path, "no-frames")).FullName;
        var (exit, log) = await RunAgentAsync(config, TimeSpan.FromMinutes(2), source: empty);
        output.WriteLine(log);
        Assert.Equal(0, exit);

        var stored = host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage).Where(p => p.AgentId == AgentId).ToList();
        Assert.Equal(Enumerable.Range(1, (int)kept).Select(i => (long)i), stored.Select(p => p.Seq).Order());
        Assert.Equal(stored.Count, stored.Select(p => p.EventId).Distinct().Count());
    }

    private static long OutboxRows(string path)
    {
        if (!File.Exists(path)) return 0;
        // Read-only beside the agent's writer (WAL lets both); a file still being created counts as empty.
        try
        {
            using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM outbox";
            return Convert.ToInt64(command.ExecuteScalar());
        }
        catch (Microsoft.Data.Sqlite.SqliteException) { return 0; }
    }

    private static string WriteConfig(string dir, SyntheticClip clip, int brokerPort, Dictionary<string, object> login)
    {
        var lane = clip.Lanes[0];
        var broker = new Dictionary<string, object> { ["Host"] = "127.0.0.1", ["Port"] = brokerPort };
        foreach (var (k, v) in login) broker[k] = v;
        var config = new
        {
            Agent = new Dictionary<string, object>
            {
                ["Site"] = "maoliling", ["Bore"] = "north", ["Portal"] = "entry", ["Lane"] = 1, ["Source"] = clip.Path, ["RealTime"] = false,
                ["Region"] = new[] { lane.Region.X, lane.Region.Y, lane.Region.Width, lane.Region.Height }, ["LoopLine"] = lane.LoopLine,
                ["DataDirectory"] = Path.Combine(dir, "agent"), ["StatusEverySeconds"] = 2, ["Broker"] = broker,
            },
        };
        var path = Path.Combine(dir, "agent.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return path;
    }

    private static Process StartAgent(string config, bool realTime = false, string? source = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { CentralProcess.ProgramPath, "agent", "--config", config, "--drain-timeout", "00:01:00" },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // The environment overrides the file, as an installer would.
        start.Environment["TUNNEL_AGENT__REALTIME"] = realTime ? "true" : "false";
        if (source is not null) start.Environment["TUNNEL_AGENT__SOURCE"] = source;
        start.Environment["DOTNET_NOLOGO"] = "1";
        return Process.Start(start)!;
    }

    private static async Task<(int Exit, string Log)> RunAgentAsync(string config, TimeSpan limit, string? source = null)
    {
        using var agent = StartAgent(config, source: source);
        var stdout = agent.StandardOutput.ReadToEndAsync();
        var stderr = agent.StandardError.ReadToEndAsync();
        try { await agent.WaitForExitAsync().WaitAsync(limit); }
        catch (TimeoutException)
        {
            agent.Kill(entireProcessTree: true);
            throw new TimeoutException($"the agent did not finish within {limit}: {await stdout}{await stderr}");
        }
        return (agent.ExitCode, await stdout + await stderr);
    }
}
