using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Storage;
using Tunnel.Storage.Tests;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>The same host, service and store code on PostgreSQL (Debian's PostgreSQL 15, a private cluster).</summary>
public sealed class PostgresTests(ITestOutputHelper output)
{
    private static readonly BoreKey North = new("maoliling", "north");

    private static IReadOnlyList<Central.Service.VehicleInside> InsideNorth(CentralHost host) =>
        host.Service.Snapshot.Bores.Single(x => x.Bore == North).Inside;

    [Fact]
    public async Task On_postgres_passages_are_stored_acknowledged_and_still_there_after_a_restart()
    {
        using var postgres = new PostgresServer();
        using var dir = new TempDirectory();
        var schema = $"e2e_{Guid.NewGuid():N}";
        var settings = Hosts.Embedded(dir.Path);
        settings["Tunnel:Database:Provider"] = "Postgres";
        settings["Tunnel:Database:ConnectionString"] = postgres.CreateSchema(schema);
        var logs = TestOutputLoggerProvider.Factory(output);
        var now = DateTimeOffset.UtcNow;
        try
        {
            Passage b;
            await using (var first = await Hosts.StartAsync(settings, logs))
            {
                Assert.Equal(StoreProvider.Postgres, first.Store.Provider);
                await using var entry = await TestAgent.ConnectAsync(first.BrokerHost, first.BrokerPort, first.Credentials!.For, "north", Portal.Entry, 1);
                await using var exit = await TestAgent.ConnectAsync(first.BrokerHost, first.BrokerPort, first.Credentials.For, "north", Portal.Exit, 1);
                await entry.SendAsync(now.AddSeconds(-300), "浙C11111");
                b = await entry.SendAsync(now.AddSeconds(-290), "浙C22222");
                await exit.SendAsync(now.AddSeconds(-130), "浙C11111");
                Assert.Equal(2, (await entry.AckAsync(2)).StoredThroughSeq);
                Assert.Equal(1, (await exit.AckAsync(1)).StoredThroughSeq);
            }

            await using var second = await Hosts.StartAsync(settings, logs);
            Assert.Equal(StoreProvider.Postgres, second.Store.Provider);
            await Wait.UntilAsync(() => second.Service.Snapshot.At > DateTimeOffset.MinValue, "the first snapshot after the rebuild");
            Assert.Equal(3, second.Store.ReadPassages(DateTimeOffset.MinValue).Count());
            Assert.Equal(b.EventId, Assert.Single(InsideNorth(second)).EntryEventId);
            Assert.Equal(2, second.Store.HighestStoredSeq("maoliling-north-entry-1"));

            // The agent carries on where it was: its next seq is acknowledged on top of what the first host stored.
            await using var later = await TestAgent.ConnectAsync(second.BrokerHost, second.BrokerPort, second.Credentials!.For, "north", Portal.Entry, 1, nextSeq: 3);
            var c = await later.SendAsync(now.AddSeconds(-10), "浙C33333");
            Assert.Equal(3, (await later.AckAsync(3)).StoredThroughSeq);
            await Wait.UntilAsync(() => InsideNorth(second).Count == 2, "2 vehicles inside");
            Assert.Equal([b.EventId, c.EventId], InsideNorth(second).Select(v => v.EntryEventId));
        }
        finally
        {
            // Matters only for a shared server (TUNNEL_TEST_POSTGRES); a private cluster goes with its directory.
            Npgsql.NpgsqlConnection.ClearAllPools();
            postgres.DropSchema(schema);
        }
    }
}
