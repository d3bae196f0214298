using Tunnel.Mqtt.Native;

namespace Tunnel.Mqtt.Tests;

public sealed class InstallationTests
{
    [Fact]
    public void Missing_client_library_says_which_package_to_install()
    {
        var error = Assert.Throws<DllNotFoundException>(() => MosquittoRuntime.LoadOrExplain("libmosquitto-that-is-not-there.so.1"));

        Assert.Contains("apt-get install libmosquitto1", error.Message);
    }

    [Fact]
    public void Missing_broker_program_says_which_package_to_install()
    {
        var error = Assert.Throws<FileNotFoundException>(() => MosquittoInstallation.Find("mosquitto", "mosquitto", [Path.GetTempPath()]));

        Assert.Contains("apt-get install mosquitto", error.Message);
    }

    [Fact]
    public async Task Private_broker_listens_on_loopback_only_with_hashed_passwords()
    {
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { ["central"] = "central-secret" },
        });

        Assert.Equal("127.0.0.1", broker.Host);
        Assert.Contains($"listener {broker.Port} 127.0.0.1", File.ReadAllText(broker.ConfigPath));
        Assert.DoesNotContain("central-secret", File.ReadAllText(Path.Combine(broker.DataDirectory, "passwd")));
        Assert.True(File.Exists(broker.LogPath));
    }
}
