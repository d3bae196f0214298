namespace Tunnel.WebConsole.Tests;

/// <summary>One in-process console (test server) shared by the API tests of a class.</summary>
public sealed class TestServerFixture : IAsyncLifetime
{
    public ConsoleHost Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await ConsoleHost.StartAsync(kestrel: false);
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The same, configured as behind a reverse proxy on this machine: the tests' X-Forwarded-For is each client's address.</summary>
public sealed class ProxiedTestServerFixture : IAsyncLifetime
{
    public ConsoleHost Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await ConsoleHost.StartAsync(kestrel: false, behindProxy: true);
    public async Task DisposeAsync() => await Host.DisposeAsync();
}
