using System.Net;
using System.Net.Sockets;

namespace Tunnel.Agent.Tests.Support;

/// <summary>A free port for a server a test starts.</summary>
public static class Ports
{
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try { return ((IPEndPoint)probe.LocalEndpoint).Port; }
        finally { probe.Stop(); }
    }
}
