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
    // The one connection writes go through, opened by the first write; guarded by _writeLock.
    private WriteSession? _session;
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
            _session?.Dispose();
            _session = null;
            _dialect.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, alone among this instance's writers.</summary>
    private T Write<T>(Func<DbConnection, DbTransaction, T> work) => WriteWith((session, transaction) => work(session.Connection, transaction));

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on the write session (one connection kept open, its
    /// statements prepared once), alone among this instance's writers. When it fails the session is closed,
    /// and the next write opens another. A connection the server dropped while it sat idle fails before
    /// anything is committed: the transaction then runs once more on a fresh one, so a database restart costs
    /// the first write after it nothing. <paramref name="work"/> must keep its state to itself.
    /// </summary>
    private T WriteWith<T>(Func<WriteSession, DbTransaction, T> work)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (var attempt = 1; ; attempt++)
            {
                var session = _session ??= new WriteSession(_dialect);
                var committing = false;
                try
                {
                    using var transaction = session.Connection.BeginTransaction();
                    var result = work(session, transaction);
                    committing = true;
                    transaction.Commit();
                    return result;
                }
                catch (Exception e)
                {
                    _session = null;
                    session.Dispose();
                    // A connection lost during the commit may have committed: that one is the caller's to retry.
                    if (attempt > 1 || committing || !_dialect.LostConnection(e)) throw;
                    _dialect.ForgetIdleConnections();
                }
            }
        }
    }

    /// <summary>Statements the write session has prepared and keeps (for tests: a steady writer prepares nothing new).</summary>
    internal int PreparedStatementsForTests
    {
        get { lock (_writeLock) return _session?.PreparedCount ?? 0; }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection; if the server had dropped it (and so every idle one), once
    /// more on a fresh one. <paramref name="work"/> must keep its state to itself.
    /// </summary>
    private T Read<T>(Func<DbConnection, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            return ReadOnce(work);
        }
        catch (Exception e) when (_dialect.LostConnection(e))
        {
            _dialect.ForgetIdleConnections();
            return ReadOnce(work);
        }
    }

    private T ReadOnce<T>(Func<DbConnection, T> work)
    {
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

    /// <summary>For tests that read several rows under the API (a query plan): each row's column <paramref name="ordinal"/> as text.</summary>
    internal List<string> ColumnForTests(string sql, int ordinal) => Query(sql, r => Convert.ToString(r.GetValue(ordinal))!);

    /// <summary>For tests that look at the write connection's settings (it is kept open between writes).</summary>
    internal object? WriteScalarForTests(string sql) => WriteWith((session, transaction) =>
    {
        using var command = _dialect.Command(session.Connection, transaction, sql);
        return command.ExecuteScalar();
    });

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
