using System.Data.Common;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

/// <summary>
/// The central service's database: passages, per-agent acknowledgement bookkeeping, transits,
/// alarms, audit log, dead letters and configuration documents, on SQLite or PostgreSQL.
/// </summary>
/// <remarks>
/// Thread safety: one instance may be shared by every thread. Each call takes its own connection
/// from the provider's pool. Writes are serialised by one lock inside the instance (SQLite allows
/// one writer at a time anyway; the lock keeps our own threads from meeting SQLITE_BUSY). Reads take
/// no lock: under SQLite's WAL they see the last committed transaction without blocking the
/// writer, and a batch is always seen whole or not at all. Open one instance per database per
/// process; other processes sharing a SQLite file wait up to the busy timeout (30 s).
/// </remarks>
public sealed partial class TunnelStore : IDisposable
{
    private readonly Dialect _dialect;
    private readonly TimeProvider _clock;
    private readonly Lock _writeLock = new();
    private bool _disposed;

    private TunnelStore(Dialect dialect, TimeProvider clock, int schemaVersion)
    {
        _dialect = dialect;
        _clock = clock;
        SchemaVersion = schemaVersion;
    }

    public StoreProvider Provider => _dialect is SqliteDialect ? StoreProvider.Sqlite : StoreProvider.Postgres;

    public int SchemaVersion { get; }

    /// <summary>Opens the database, creating it and bringing its schema up to date.</summary>
    public static TunnelStore Open(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dialect = Dialect.Create(options);
        try
        {
            using var connection = dialect.Open();
            dialect.Initialise(connection);
            Schema.Migrate(dialect, connection, options.Clock.GetUtcNow());
            return new TunnelStore(dialect, options.Clock, Schema.CurrentVersion(dialect, connection, null));
        }
        catch
        {
            dialect.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            _dialect.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, alone among this instance's writers.</summary>
    private T Write<T>(Func<DbConnection, DbTransaction, T> work)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var connection = _dialect.Open();
            using var transaction = connection.BeginTransaction();
            var result = work(connection, transaction);
            transaction.Commit();
            return result;
        }
    }

    private T Read<T>(Func<DbConnection, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _dialect.Open();
        return work(connection);
    }

    private List<T> Query<T>(string sql, Func<DbDataReader, T> map, params (string Name, Col Type, object? Value)[] parameters) =>
        Read(connection =>
        {
            using var command = _dialect.Command(connection, null, sql, parameters);
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(map(reader));
            return rows;
        });

    /// <summary>For tests that look under the API (pragmas, raw columns).</summary>
    internal object? ScalarForTests(string sql) => Read(connection =>
    {
        using var command = _dialect.Command(connection, null, sql);
        return command.ExecuteScalar();
    });

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
