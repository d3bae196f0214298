namespace Tunnel.WebConsole.Tests;

/// <summary>One in-process console (test server) shared by the API tests of a class.</summary>
public sealed class TestServerFixture : IAsyncLifetime
{
    public ConsoleHost Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await ConsoleHost.StartAsync(kestrel: false);
    public async Task DisposeAsync() => await Host.DisposeAsync();
}
