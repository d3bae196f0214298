using Microsoft.AspNetCore.Http;

namespace Tunnel.WebConsole.Security;

internal static class ClientAddress
{
    /// <summary>
    /// The address logins are counted by: the connection's, or the one a proxy on this machine forwarded (ConsoleSetup trusts
    /// no other, and that one only with <see cref="ConsoleOptions.BehindProxy"/>); "local" when the server knows none (the in-process test server). One address, not its network: the
    /// control room's workstations and someone else on the same LAN share a network.
    /// </summary>
    public static string Of(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "local";
}
