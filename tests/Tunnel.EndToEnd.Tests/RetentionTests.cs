using Microsoft.Data.Sqlite;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Storage;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>The retention purge of the real central host, which runs at start and hourly.</summary>
public sealed class RetentionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Old_snapshots_and_spoken_plates_go_at_start_even_when_the_stores_purge_fails()
    {
        using var dir = new TempDirectory();
        var old = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // A store whose plate purge fails (here a stored passage it cannot read; as well a locked or full database).
        using (TunnelStore.Open(StoreOptions.SqliteInDataDirectory(dir.Path))) { }
        using (var connection = new SqliteConnection(StoreOptions.SqliteInDataDirectory(dir.Path).ConnectionString))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO passages (event_id, agent_id, seq, site, bore, portal, lane, captured_at, received_at, plate_text, vehicle_class, hazmat, json)
                VALUES ('{Guid.NewGuid()}', 'maoliling-north-entry-1', 1, 'maoliling', 'north', 'entry', 1, {old.ToUnixTimeMilliseconds()},
                        {old.ToUnixTimeMilliseconds()}, '浙A12345', 'car', 0, '{"{}"}')
                """;
            insert.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var snapshot = Path.Combine(dir.Path, "snapshots", "2020-01-01", $"{Guid.NewGuid()}.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        await File.WriteAllBytesAsync(snapshot, [0xFF, 0xD8, 0xFF, 0xD9]);
        var spoken = Path.Combine(dir.Path, "speech", "0123456789abcdef0123456789abcdef.wav");
        Directory.CreateDirectory(Path.GetDirectoryName(spoken)!);
        await File.WriteAllBytesAsync(spoken, [1, 2, 3]);
        File.SetLastWriteTimeUtc(spoken, old.UtcDateTime);

        await using var host = await Hosts.StartAsync(Hosts.Embedded(dir.Path), TestOutputLoggerProvider.Factory(output));

        await Wait.UntilAsync(() => !File.Exists(snapshot) && !File.Exists(spoken), "the old snapshot and spoken plate deleted");
        Assert.False(Directory.Exists(Path.GetDirectoryName(snapshot)));
    }
}
