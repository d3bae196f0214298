using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Cli.Tests;

/// <summary>The private broker's logins follow the camera records: a retired camera's agent is shut out on the reload.</summary>
public sealed class EmbeddedBrokerCameraTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-broker-cameras-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static MqttClient Client(MosquittoBroker broker, string user, string password) => new(new MqttClientOptions
    {
        Host = broker.Host, Port = broker.Port, ClientId = "cam-" + user + "-" + Guid.NewGuid().ToString("N")[..6], Username = user, Password = password,
    });

    private static SitesFile WithNorthCameras(params CameraConfig[] cameras) => SitesFile.Maoliling with
    {
        Sites = [SitesFile.Maoliling.Sites[0] with { Bores = [.. SitesFile.Maoliling.Sites[0].Bores.Select(b => b.Id == "north" ? b with { Cameras = cameras } : b)] }],
    };

    [Fact]
    public async Task A_retired_cameras_agent_can_no_longer_log_in_after_the_reload_and_a_re_activated_one_can_again()
    {
        var active = SitesFile.Maoliling.FindBore("maoliling", "north")!.EffectiveCameras();
        var (broker, credentials) = await EmbeddedBroker.StartAsync(_dir, WithNorthCameras([.. active]), "127.0.0.1", 0, CancellationToken.None);
        await using var _ = broker;
        const string Agent = "maoliling-north-exit-2";
        var password = credentials.For(Agent);
        await using (var before = Client(broker, Agent, password))
            await before.ConnectAsync().WaitAsync(Limit);

        var retired = WithNorthCameras([.. active.Select(c => c.Id == "cam-north-exit-2" ? c with { Retired = true } : c)]);
        Assert.DoesNotContain(Agent, EmbeddedBroker.AgentIds(retired));
        await EmbeddedBroker.ReconfigureAsync(broker, _dir, retired, CancellationToken.None);
        await using (var after = Client(broker, Agent, password))
            await Assert.ThrowsAsync<MqttException>(() => after.ConnectAsync().WaitAsync(Limit));
        // The other cameras of the bore keep theirs.
        await using (var neighbour = Client(broker, "maoliling-north-exit-1", credentials.For("maoliling-north-exit-1")))
            await neighbour.ConnectAsync().WaitAsync(Limit);

        // Back in service: the same password, kept in the credentials file, lets it in again.
        var back = await EmbeddedBroker.ReconfigureAsync(broker, _dir, WithNorthCameras([.. active]), CancellationToken.None);
        Assert.Equal(password, back.For(Agent));
        await using var again = Client(broker, Agent, password);
        await again.ConnectAsync().WaitAsync(Limit);
    }
}
