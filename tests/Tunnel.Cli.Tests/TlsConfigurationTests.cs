using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Cli.Hosting;

namespace Tunnel.Cli.Tests;

/// <summary>TLS settings the host cannot use stop the start with one line per key, before a broker or a store is made.</summary>
public sealed class TlsConfigurationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tunnel-tls-config-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private async Task<string[]> ProblemsAsync(Dictionary<string, string?> settings)
    {
        settings["Tunnel:DataDirectory"] = _dir;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var problem = await Assert.ThrowsAsync<ConfigurationProblem>(() => CentralHost.StartAsync(configuration, TimeProvider.System, NullLoggerFactory.Instance));
        Assert.False(Directory.Exists(_dir), "nothing is created for a start that is refused");
        return problem.Message.Split(Environment.NewLine);
    }

    [Fact]
    public async Task A_network_listener_without_its_certificate_and_key_is_refused_naming_the_keys()
    {
        var lines = await ProblemsAsync(new()
        {
            ["Tunnel:Broker:NetworkListener:Host"] = "10.20.0.5",
            ["Tunnel:Broker:NetworkListener:KeyFile"] = "/etc/tunnel/missing.key",
        });

        Assert.Equal(2, lines.Length);
        Assert.Contains("Tunnel:Broker:NetworkListener:CertFile and KeyFile are required", lines[0]);
        Assert.Contains("Tunnel:Broker:NetworkListener:KeyFile '/etc/tunnel/missing.key' does not exist", lines[1]);
    }

    [Fact]
    public async Task A_CA_file_for_the_private_broker_or_a_network_listener_for_an_external_one_is_refused()
    {
        Assert.Contains("Tunnel:Broker:CaFile, CertFile and KeyFile are for an external broker",
            Assert.Single(await ProblemsAsync(new() { ["Tunnel:Broker:CaFile"] = "/etc/tunnel/ca.crt" })));

        var external = await ProblemsAsync(new()
        {
            ["Tunnel:Broker:Embedded"] = "false",
            ["Tunnel:Broker:Password"] = "secret",
            ["Tunnel:Broker:NetworkListener:Host"] = "10.20.0.5",
            ["Tunnel:Broker:CaFile"] = "/etc/tunnel/missing-ca.crt",
        });
        Assert.Equal(2, external.Length);
        Assert.Contains("Tunnel:Broker:NetworkListener is for the private broker", external[0]);
        Assert.Contains("Tunnel:Broker:CaFile '/etc/tunnel/missing-ca.crt' does not exist", external[1]);
    }

    /// <summary>The shipped appsettings.json leaves TLS off: the private broker on loopback alone, the service on plain TCP.</summary>
    [Fact]
    public void The_shipped_settings_ask_for_no_TLS()
    {
        var broker = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .Build()
            .GetSection("Tunnel").Get<TunnelSettings>()!.Broker;

        Assert.Equal(("127.0.0.1", 18830), (broker.Host, broker.Port));
        Assert.Null(broker.Tls);
        Assert.Null(broker.NetworkListener.Listener);
        Assert.Empty(broker.TlsProblems());
    }
}
