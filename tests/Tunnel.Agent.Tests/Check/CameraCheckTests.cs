using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Check;
using Tunnel.Agent.Tests.Support;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Tests.Check;

/// <summary>`tunnel agent --check` on a video the test draws, against a real mosquitto with the agent's own login.</summary>
public sealed class CameraCheckTests : IAsyncLifetime
{
    private const string AgentId = "maoliling-north-entry-1", AgentPassword = "agent-secret", CentralPassword = "central-secret";
    private static readonly TimeSpan Watch = TimeSpan.FromMinutes(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-check-").FullName;
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { [AgentId] = AgentPassword, ["central"] = CentralPassword },
            Acl =
            [
                MosquittoAclRule.ForUser("central", MqttTopicAccess.ReadWrite, "tunnel/v1/#"),
                MosquittoAclRule.ForUser(AgentId, MqttTopicAccess.Write, "tunnel/v1/maoliling/north/entry/#"),
                MosquittoAclRule.ForUser(AgentId, MqttTopicAccess.ReadWrite, Topics.AgentStatus("maoliling", AgentId)),
                MosquittoAclRule.ForUser(AgentId, MqttTopicAccess.Read, Topics.AgentAck("maoliling", AgentId)),
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private AgentOptions Options(SyntheticClip clip, string password)
    {
        var lane = clip.Lanes[0];
        return new AgentOptions
        {
            Site = "maoliling", Bore = "north", Portal = Portal.Entry, Lane = 1, Source = clip.Path, RealTime = false,
            Region = [lane.Region.X, lane.Region.Y, lane.Region.Width, lane.Region.Height], LoopLine = lane.LoopLine,
            DataDirectory = Path.Combine(_dir, "agent"),
            Broker = new AgentBrokerOptions { Host = _broker.Host, Port = _broker.Port, Password = password },
        };
    }

    private SyntheticClip Clip() => SyntheticTraffic.Render(Path.Combine(_dir, "entry.avi"), 1280, 720, 25,
    [
        new(1, 0.3, "浙J12345"),
        new(1, 1.8, "皖K7H8J9", PlateColor.Yellow, VehicleClass.Truck, 35),
    ]);

    [Fact]
    public async Task A_working_camera_passes_every_check_lists_what_it_read_and_draws_its_lane()
    {
        var clip = Clip();
        // What the central service left on the broker after storing this agent's passages up to 42.
        await using (var central = new MqttClient(new MqttClientOptions
        {
            Host = _broker.Host, Port = _broker.Port, ClientId = "central", Username = "central", Password = CentralPassword,
        }))
        {
            await central.ConnectAsync();
            var ack = new AgentAck { AgentId = AgentId, StoredThroughSeq = 42, At = DateTimeOffset.UtcNow };
            await central.PublishAsync(Topics.AgentAck("maoliling", AgentId), System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(ack)), 1, true);
        }

        var report = await CameraCheck.RunAsync(Options(clip, AgentPassword), () => PlateReader.Create(), Watch, NullLoggerFactory.Instance);

        Assert.True(report.Passed, string.Join("\n", report.Items));
        Assert.All(report.Items, i => Assert.Equal(CheckOutcome.Passed, i.Outcome));
        Assert.Contains($"1280x720, {clip.Frames} frames", report["camera"].Detail);
        Assert.Contains("2 vehicles passed, 2 plates read", report["recognition"].Detail);
        Assert.Contains("浙J12345 (blue", report["recognition"].Detail);
        Assert.Contains("through number 42", report["central service"].Detail);
        // The view with the lane drawn, and each vehicle's snapshot; pictures, at the camera's size.
        Assert.Equal(3, report.Pictures.Count);
        using var view = Cv.Read(report.Pictures[0]);
        Assert.Equal((1280, 720), (view.Width, view.Height));
        // The loop line is drawn in red across the lane region.
        var lane = clip.Lanes[0];
        var loopY = lane.Region.Y + (int)Math.Round(lane.LoopLine * lane.Region.Height);
        using var row = view.Crop(lane.Region.X + lane.Region.Width / 2, loopY, 1, 1);
        var (b, g, r) = (row.Bytes[0], row.Bytes[1], row.Bytes[2]);
        Assert.True(r > 180 && g < 90 && b < 90, $"the loop line's pixel is ({b}, {g}, {r}), not red");
    }

    [Fact]
    public async Task A_camera_whose_frame_size_changes_during_the_check_is_noted_and_its_vehicles_still_read()
    {
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "larger.avi"), 640, 360, 25, [new(1, 0.5, "浙J55501")], tailSeconds: 2);
        var url = $"http://127.0.0.1:{Ports.FreePort()}/cam";
        var options = Options(clip, AgentPassword);
        (options.Source, options.Region) = (url, []); // the lane is the whole frame, whichever size it has
        // A second of a small grey picture; then the camera, opened again, sends a larger one with a vehicle.
        var small = NetworkCamera.Serve(url, "-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=25:duration=1");
        NetworkCamera? large = null;
        try
        {
            var check = CameraCheck.RunAsync(options, () => PlateReader.Create(), TimeSpan.FromSeconds(12), NullLoggerFactory.Instance);
            await small.EndedAsync(Watch);
            large = NetworkCamera.Serve(url, "-i", clip.Path);
            var report = await check;

            Assert.True(report["camera"].Outcome == CheckOutcome.Warning, string.Join("\n", report.Items));
            Assert.Contains("the frame size changed from 320x240 to 640x360", report["camera"].Detail);
            Assert.Equal(CheckOutcome.Passed, report["lane region"].Outcome);
            Assert.Contains("inside the 640x360 frame", report["lane region"].Detail);
            Assert.Contains("1 vehicles passed, 1 plates read: 浙J55501", report["recognition"].Detail);
        }
        finally
        {
            small.Dispose();
            large?.Dispose();
        }
    }

    [Fact]
    public async Task A_wrong_password_a_region_outside_the_frame_and_an_unreachable_camera_each_fail_with_the_reason()
    {
        var clip = Clip();
        var wrong = Options(clip, "not-the-password");
        wrong.Region = [1000, 0, 600, 720];
        var report = await CameraCheck.RunAsync(wrong, () => PlateReader.Create(), Watch, NullLoggerFactory.Instance);
        Assert.False(report.Passed);
        Assert.Equal(CheckOutcome.Failed, report["lane region"].Outcome);
        Assert.Contains("outside the 1280x720 frame", report["lane region"].Detail);
        Assert.Equal(CheckOutcome.Skipped, report["recognition"].Outcome);
        Assert.Equal(CheckOutcome.Failed, report["broker"].Outcome);
        Assert.Equal(CheckOutcome.Skipped, report["central service"].Outcome);

        var unreachable = Options(clip, AgentPassword);
        unreachable.Source = $"rtsp://127.0.0.1:{Ports.FreePort()}/lane1";
        report = await CameraCheck.RunAsync(unreachable, () => PlateReader.Create(), TimeSpan.FromSeconds(3), NullLoggerFactory.Instance);
        Assert.Equal(CheckOutcome.Failed, report["camera"].Outcome);
        Assert.Contains("unreachable", report["camera"].Detail);
        Assert.Equal(CheckOutcome.Passed, report["broker"].Outcome);
        Assert.Equal(CheckOutcome.Warning, report["central service"].Outcome);
    }

}
