using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Tunnel.Storage.Internal;

/// <summary>
/// SQLite: ids as text, times as unix milliseconds. WAL lets readers run beside the one writer;
/// synchronous=FULL syncs the WAL on every commit, so a committed batch survives a crash of the
/// process and of the machine.
/// </summary>
internal sealed class SqliteDialect : Dialect
{
    private readonly string _connectionString;
    // How long a statement waits for another writer's lock: the connection string's "Default Timeout" (30 s unless set).
    private readonly int _busyTimeoutMs;

    public SqliteDialect(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
            throw new ArgumentException("the SQLite store needs a file (every pooled connection to :memory: would be a different database)", nameof(connectionString));
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.Pooling = true;
        builder.ForeignKeys = true;
        _busyTimeoutMs = builder.DefaultTimeout * 1000;
        _connectionString = builder.ToString();
        OwnerOnly(builder.DataSource);
    }

    /// <summary>
    /// The file holds plates and password hashes: readable by the service's user only, wherever the connection string puts
    /// it (the data directory is owner-only, another directory may not be). SQLite makes its -wal and -shm files with the
    /// database file's permissions; a file an older build left readable by others is narrowed the same way.
    /// </summary>
    private static void OwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = owner })) { }
        }
        catch (IOException) when (File.Exists(path)) { }
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            try
            {
                if (File.Exists(file) && (File.GetUnixFileMode(file) & ~owner) != 0) File.SetUnixFileMode(file, File.GetUnixFileMode(file) & owner);
            }
            // Not ours to change (a file another user shares with us): SQLite opens it all the same, or says why not.
            catch (UnauthorizedAccessException) { }
        }
    }

    // One statement per row: SQLite has no round trips to save, and binding a parameter by name
    // is a linear search, which makes many-row statements quadratic.
    public override int RowsPerInsert => 1;

    public override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Per-connection settings: a pooled connection keeps them, but setting them again is cheap and certain.
        // secure_delete: a plate the retention blanks is zeroed in the file too, not left in its page's free space for anyone
        // reading the file or a backup of it; FAST costs no I/O of its own.
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {_busyTimeoutMs}; PRAGMA secure_delete = FAST;";
        command.ExecuteNonQuery();
        return connection;
    }

    // The write connection lives as long as the store, and each passage touches pages of several indexes
    // keyed by random ids (event ids, plates): with SQLite's default 2 MB cache most of those pages were
    // read back from the file on every commit. 32 MB holds them for days of traffic.
    private const int WriteCacheKb = 32 * 1024;

    // Checkpoints run on the writer's commit; a longer WAL between them writes each index page touched
    // by many commits once into the database file instead of several times (the default is 1,000 pages).
    private const int WalCheckpointPages = 8_000;

    public override DbConnection OpenForWriting()
    {
        var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA cache_size = -{WriteCacheKb}; PRAGMA wal_autocheckpoint = {WalCheckpointPages};";
        command.ExecuteNonQuery();
        return connection;
    }

    public override void Initialise(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite refused WAL journal mode (got '{mode}')");
    }

    public override string Ddl(string template) => template
        .Replace("{id}", "INTEGER PRIMARY KEY")
        .Replace("{uuid}", "TEXT")
        .Replace("{time}", "INTEGER")
        .Replace("{bool}", "INTEGER")
        .Replace("{true}", "1")
        .Replace("{false}", "0")
        .Replace("{bytes}", "BLOB")
        .Replace("{real}", "REAL")
        .Replace("{hour_of_captured_at}", "(captured_at / 3600000) * 3600000");

    protected override DbType TypeOf(Col type) => type switch
    {
        Col.Text or Col.Uuid => DbType.String,
        Col.Int => DbType.Int32,
        Col.Long or Col.Time => DbType.Int64,
        Col.Real => DbType.Double,
        Col.Bool => DbType.Boolean,
        Col.Bytes => DbType.Binary,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    protected override object ToDb(Col type, object value) => type switch
    {
        Col.Uuid => ((Guid)value).ToString("D"),
        Col.Time => ((DateTimeOffset)value).ToUnixTimeMilliseconds(),
        _ => value,
    };

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public override void Dispose() => SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
}
