using Microsoft.Data.Sqlite;
using Tunnel.Core.Contracts;
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
        // A store whose plate purge fails, as on a full disk: it refuses to rewrite the old passage (a stored passage is never rewritten otherwise).
        using (var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(dir.Path)))
        {
            store.AddPassages([(new Passage
            {
                EventId = Guid.NewGuid(), AgentId = "maoliling-north-entry-1", Seq = 1, Site = "maoliling", Bore = "north", Portal = Portal.Entry, Lane = 1,
                CameraId = "cam-north-entry-1", CapturedAt = old,
                Plate = new PlateRead { Text = "浙A12345", Color = PlateColor.Blue, Confidence = 0.97 },
                Vehicle = new VehicleRead { Class = VehicleClass.Car, Confidence = 0.9, HazmatConfidence = 0.02 },
            }, old)]);
        }
        using (var connection = new SqliteConnection(StoreOptions.SqliteInDataDirectory(dir.Path).ConnectionString))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER full_disk BEFORE UPDATE ON passages BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END";
            trigger.ExecuteNonQuery();
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
        Assert.Equal("浙A12345", host.Store.ReadPassages(DateTimeOffset.MinValue).Single().Passage.Plate!.Text);
    }
}
