using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Tunnel.Cli.Hosting;
using Tunnel.Mqtt;

namespace Tunnel.EndToEnd.Tests.Support;

/// <summary>Starting the real central host (CentralHost, as `tunnel central` runs it) in the test process.</summary>
public static class Hosts
{
    /// <summary>Embedded broker and HTTP, each on a port the OS picks, data in <paramref name="dataDirectory"/>.</summary>
    public static Dictionary<string, string?> Embedded(string dataDirectory) => new()
    {
        ["Tunnel:DataDirectory"] = dataDirectory,
        ["Tunnel:Broker:Embedded"] = "true",
        ["Tunnel:Broker:Port"] = "0",
        ["Tunnel:Http:Urls"] = "http://127.0.0.1:0",
        ["Tunnel:AgentOfflineDelaySeconds"] = "0",
    };

    /// <summary>A broker the test runs itself (so it outlives the host, or has its own users).</summary>
    public static Dictionary<string, string?> External(string dataDirectory, MosquittoBroker broker, string user, string password) => new()
    {
        ["Tunnel:DataDirectory"] = dataDirectory,
        ["Tunnel:Broker:Embedded"] = "false",
        ["Tunnel:Broker:Host"] = broker.Host,
        ["Tunnel:Broker:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Tunnel:Broker:Username"] = user,
        ["Tunnel:Broker:Password"] = password,
        ["Tunnel:Http:Urls"] = "http://127.0.0.1:0",
        ["Tunnel:AgentOfflineDelaySeconds"] = "0",
    };

    /// <summary>
    /// Only the given keys: no appsettings.json or environment variables, so a developer's
    /// TUNNEL__... settings cannot change what a test runs.
    /// </summary>
    public static Task<CentralHost> StartAsync(IDictionary<string, string?> settings, ILoggerFactory logs, TimeProvider? clock = null) =>
        CentralHost.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), clock ?? TimeProvider.System, logs, quietHttp: true);

    public static Uri HttpBase(CentralHost host) => new(host.HttpUrls.Split(',')[0].Trim());

    public static int FreeTcpPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try { return ((IPEndPoint)probe.LocalEndpoint).Port; }
        finally { probe.Stop(); }
    }

    public static bool PortIsFree(int port)
    {
        try
        {
            var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
