using Npgsql;
using Xunit.Abstractions;
using static Tunnel.Storage.Tests.TestData;

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
        // Named by the schema, so a test can end this store's server connections and no one else's.
        Options = StoreOptions.Postgres(new NpgsqlConnectionStringBuilder(server.CreateSchema(_schema)) { ApplicationName = _schema }.ToString());
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
    public void After_the_server_ended_the_stores_connections_the_next_write_and_read_succeed()
    {
        Store.AddPassages(Received(Passage("a1", 1, "浙A12345", T0)));
        Assert.Single(Store.ReadPassages(DateTimeOffset.MinValue));
        // The write session and the pooled read connection, as a server restart leaves them.
        Assert.True(_server.TerminateConnections(_schema) >= 2);

        // The read first: once it has cleared the pool, the write session is still the dead one it held.
        Assert.Single(Store.ReadPassages(DateTimeOffset.MinValue));
        Assert.Single(Store.AddPassages(Received(Passage("a1", 2, "浙A23456", T0.AddSeconds(1)))));
        Assert.Equal(2, Store.HighestStoredSeq("a1"));
    }

    [Fact]
    public void Missing_server_binaries_fail_with_the_package_to_install()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new PostgresServer("/nonexistent/postgresql/bin", externalConnectionString: null));
        Assert.Contains("'postgresql'", e.Message);
        Assert.Contains("TUNNEL_TEST_POSTGRES", e.Message);
    }
}
