using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tunnel.Agent.Tests.Support;

/// <summary>Waiting on a condition the code under test will make true, and a free port for a server a test starts.</summary>
public static class Poll
{
    public static async Task Until(Func<bool> condition, string what, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            // The poll interval, not a synchronisation: the condition decides.
            await Task.Delay(20);
        }
    }

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try { return ((IPEndPoint)probe.LocalEndpoint).Port; }
        finally { probe.Stop(); }
    }
}
