using Xunit.Abstractions;

namespace Tunnel.Storage.Tests;

/// <summary>The same behaviour on PostgreSQL; each test in its own schema.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests : StoreContractTests
{
    private readonly PostgresServer _server;
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N");

    public PostgresStoreTests(PostgresServer server, ITestOutputHelper output) : base(output)
    {
        _server = server;
        Options = StoreOptions.Postgres(server.CreateSchema(_schema));
    }

    protected override StoreOptions Options { get; }

    public override void Dispose()
    {
        base.Dispose();
        _server.DropSchema(_schema);
    }

    [Fact]
    public void Tables_live_in_the_test_schema()
    {
        Assert.Equal(_schema, Store.ScalarForTests("SELECT table_schema FROM information_schema.tables WHERE table_name = 'passages' AND table_schema = current_schema()"));
    }

    [Fact]
    public void Missing_server_binaries_fail_with_the_package_to_install()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new PostgresServer("/nonexistent/postgresql/bin", externalConnectionString: null));
        Assert.Contains("'postgresql'", e.Message);
        Assert.Contains("TUNNEL_TEST_POSTGRES", e.Message);
    }
}
