using System.Runtime.Versioning;
using Microsoft.Data.Sqlite;
using Tunnel.Core.Contracts;
using Xunit.Abstractions;
using static Tunnel.Storage.Tests.TestData;

namespace Tunnel.Storage.Tests;

public sealed class SqliteStoreTests : StoreContractTests
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tunnel-sqlite-");

    public SqliteStoreTests(ITestOutputHelper output) : base(output) =>
        Options = StoreOptions.SqliteInDataDirectory(Path.Combine(_directory.FullName, "data"));

    protected override StoreOptions Options { get; }

    public override void Dispose()
    {
        base.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public void Connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout()
    {
        Assert.Equal("wal", Store.ScalarForTests("PRAGMA journal_mode"));
        Assert.Equal(2L, Store.ScalarForTests("PRAGMA synchronous"));
        Assert.Equal(1L, Store.ScalarForTests("PRAGMA foreign_keys"));
        Assert.Equal(30_000L, Store.ScalarForTests("PRAGMA busy_timeout"));
        // The write connection, kept open from one write to the next, syncs every commit the same way.
        Store.AddPassages(Seqs("a1", 1));
        Assert.Equal(2L, Store.WriteScalarForTests("PRAGMA synchronous"));
        Assert.Equal(1L, Store.WriteScalarForTests("PRAGMA foreign_keys"));
        Assert.Equal(30_000L, Store.WriteScalarForTests("PRAGMA busy_timeout"));
        Assert.True(File.Exists(Path.Combine(_directory.FullName, "data", "tunnel.db")));
    }

    [Fact]
    public void The_retention_purge_finds_the_rows_left_to_blank_without_reading_those_blanked_before()
    {
        // Reading a year of blanked rows again for every chunk of an hour's purge held the writer for minutes.
        foreach (var (sql, index) in new[]
                 {
                     (TunnelStore.PassagesToBlank, "ix_passages_plate_kept"), (TunnelStore.BlankTransits, "ix_transits_plate_kept"),
                     (TunnelStore.DropDeadLetterPayloads, "ix_dead_letters_payload_kept"),
                 })
        {
            var plan = string.Join("\n", Store.ColumnForTests("EXPLAIN QUERY PLAN " + sql.Replace("@cutoff", "0"), 3));
            Assert.Contains($"USING INDEX {index} ", plan);
            Assert.DoesNotContain("SCAN", plan);
        }
    }

    [Fact]
    public void Hazmat_vehicles_seen_only_at_the_exit_are_counted_from_the_hazmat_rows_alone()
    {
        // Reading every passage of a month for them took 4-6 s, of a year's monthly report a minute.
        var plan = string.Join("\n", Store.ColumnForTests("EXPLAIN QUERY PLAN " + TunnelStore.HazmatOnlyAtExitSql.Replace("{true}", "1")
            .Replace("@from", "0").Replace("@to", "0"), 3));
        Assert.Contains("USING COVERING INDEX ix_passages_hazmat_exit ", plan);
        Assert.Contains("USING COVERING INDEX ix_transits_hazmat_exit ", plan);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void The_database_file_and_its_wal_are_readable_by_the_owner_only_wherever_they_live()
    {
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        // Outside the data directory (a connection string of its own), in a directory others may read.
        var path = Path.Combine(_directory.FullName, "elsewhere.db");
        using (var store = TunnelStore.Open(StoreOptions.SqliteFile(path)))
        {
            store.AddPassages(Seqs("a1", 1));
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
                Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(file) & others);
        }
        // A file an older build left readable by others.
        SqliteConnection.ClearAllPools();
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (TunnelStore.Open(StoreOptions.SqliteFile(path)))
            Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(path) & others);
    }

    [Fact]
    public void A_purged_plate_is_gone_from_the_file_itself_not_only_from_what_queries_return()
    {
        var old = T0.AddDays(-40);
        var passages = Enumerable.Range(1, 50).Select(i => Passage("a1", i, $"浙K{i:D5}", old.AddSeconds(i))).ToList();
        Store.AddPassages(Received([.. passages]));
        Store.UpsertTransits([.. passages.Select(p => Transit(p.EventId, p.Plate!.Text, p.CapturedAt))]);
        Store.AddAlarmTransitions([Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, old, "浙K00007")]);

        Store.PurgePlates(T0.AddDays(-30));
        // Everything written back into the database file, as a backup copies it.
        Store.Dispose();
        using (var connection = new SqliteConnection(Options.ConnectionString))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        // A blanked row's old bytes would stay in its page's free space, and a removed index entry's too, for anyone reading the file.
        var file = File.ReadAllBytes(Path.Combine(_directory.FullName, "data", "tunnel.db"));
        Assert.Equal(-1, file.AsSpan().IndexOf("浙K000"u8));
    }

    [Fact]
    public void An_in_memory_database_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => TunnelStore.Open(new StoreOptions(StoreProvider.Sqlite, "Data Source=:memory:")));
        Assert.Contains("needs a file", e.Message);
    }

    [Fact]
    public void A_schema_newer_than_the_program_is_refused()
    {
        Store.Dispose();
        using (var connection = new SqliteConnection(Options.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)";
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var e = Assert.Throws<InvalidOperationException>(() => TunnelStore.Open(Options));
        Assert.Contains("newer", e.Message);
    }
}
