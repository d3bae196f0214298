using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Agent.Tests;

/// <summary>A technician's configuration mistakes come back as sentences that say what to fix, all at once.</summary>
public sealed class AgentOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-agent-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AgentOptions Valid() => new()
    {
        Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 2, Source = _dir, Region = [0, 300, 1920, 780],
        Broker = new AgentBrokerOptions { Password = "secret" },
    };

    [Fact]
    public void A_complete_configuration_passes_and_names_the_agent_by_its_place()
    {
        var options = Valid();
        Assert.Empty(options.Validate());
        Assert.Equal("maoliling-north-exit-2", options.AgentId);
        Assert.Equal("cam-north-exit-2", options.EffectiveCameraId);
        Assert.Equal("maoliling-north-exit-2", options.Login().Username);
    }

    [Fact]
    public void Every_mistake_is_reported_together()
    {
        var options = new AgentOptions { Lane = 0, Source = Path.Combine(_dir, "missing.mp4"), Region = [10, 10, 5], LoopLine = 1.2, Broker = new AgentBrokerOptions { Port = 0 } };
        var errors = options.Validate();
        Assert.Contains(errors, e => e.Contains("Agent:Site is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Agent:Bore is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Agent:Lane must be 1 or more", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("missing.mp4' is neither a URL nor an existing file", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Agent:Region must be [x, y, width, height]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Agent:LoopLine 1.2", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("is not a TCP port", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("agents always log in", StringComparison.Ordinal));
    }

    [Fact]
    public void Site_bore_and_lane_are_checked_against_the_sites_file()
    {
        var sites = Path.Combine(_dir, "sites.json");
        File.WriteAllText(sites, TunnelJson.Serialize(SitesFile.Maoliling));

        Assert.Empty(Valid().WithSites(sites).Validate());
        Assert.Equal(["unknown lane 3: bore 'north' has 2 lane(s)"], Valid().WithSites(sites, lane: 3).Validate());
        Assert.Contains("unknown bore 'east'", Assert.Single(Valid().WithSites(sites, bore: "east").Validate()), StringComparison.Ordinal);
        Assert.Contains("unknown site 'x'", Assert.Single(Valid().WithSites(sites, site: "x").Validate()), StringComparison.Ordinal);
    }

    [Fact]
    public void The_password_can_come_from_the_private_brokers_credentials()
    {
        var file = Path.Combine(_dir, "credentials.json");
        File.WriteAllText(file, """{"central":"c","maoliling-north-exit-2":"from-the-file"}""");
        var options = Valid();
        options.Broker = new AgentBrokerOptions { CredentialsFile = file };
        Assert.Empty(options.Validate());
        Assert.Equal("from-the-file", options.Login().Password);
    }

    [Fact]
    public void A_CA_file_puts_the_broker_login_on_TLS_and_missing_or_unpaired_files_are_named()
    {
        var ca = Path.Combine(_dir, "ca.crt");
        File.WriteAllText(ca, "");
        var options = Valid();
        options.Broker.CaFile = ca;
        Assert.Empty(options.Validate());
        Assert.Equal(new MqttTls(ca), options.Login().Tls);
        Assert.Null(Valid().Login().Tls);

        options.Broker.CertFile = Path.Combine(_dir, "agent.crt");
        Assert.Equal(["Agent:Broker:CertFile and Agent:Broker:KeyFile go together: give both or neither",
            $"Agent:Broker:CertFile '{options.Broker.CertFile}' does not exist"], options.Validate());
        options.Broker.CaFile = Path.Combine(_dir, "missing-ca.crt");
        options.Broker.CertFile = null;
        Assert.Equal([$"Agent:Broker:CaFile '{options.Broker.CaFile}' does not exist"], options.Validate());
        var plain = Valid();
        plain.Broker.KeyFile = ca;
        Assert.Contains("need Agent:Broker:CaFile", Assert.Single(plain.Validate()), StringComparison.Ordinal);
    }
}

internal static class AgentOptionsEditing
{
    public static AgentOptions WithSites(this AgentOptions o, string sitesFile, string? site = null, string? bore = null, int? lane = null)
    {
        o.SitesFile = sitesFile;
        if (site is not null) o.Site = site;
        if (bore is not null) o.Bore = bore;
        if (lane is not null) o.Lane = lane.Value;
        return o;
    }
}
