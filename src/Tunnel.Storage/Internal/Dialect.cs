using System.Data;
using System.Data.Common;

namespace Tunnel.Storage.Internal;

/// <summary>Logical column types; each dialect decides how they are declared, bound and read.</summary>
internal enum Col { Text, Int, Long, Real, Bool, Uuid, Time, Bytes }

/// <summary>
/// Everything that differs between SQLite and PostgreSQL lives in this class and its two
/// subclasses: opening connections, DDL type names, how ids and times are bound and read, and how
/// many rows one INSERT may carry. The SQL itself is shared.
/// </summary>
internal abstract class Dialect : IDisposable
{
    public static Dialect Create(StoreOptions options) => options.Provider switch
    {
        StoreProvider.Sqlite => new SqliteDialect(options.ConnectionString),
        StoreProvider.Postgres => new PostgresDialect(options.ConnectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "unknown store provider"),
    };

    /// <summary>An open connection, from the provider's pool, set up for this store.</summary>
    public abstract DbConnection Open();

    /// <summary>
    /// Whether <paramref name="e"/> says the server dropped the connection (a restart, an administrator), so the
    /// pool's other idle connections are dead too and a statement that never reached a commit may run again.
    /// </summary>
    public virtual bool LostConnection(Exception e) => false;

    /// <summary>Closes the pool's idle connections, so the next <see cref="Open"/> connects afresh.</summary>
    public virtual void ForgetIdleConnections() { }

    /// <summary>The store's long-lived write connection (<see cref="WriteSession"/>).</summary>
    public virtual DbConnection OpenForWriting() => Open();

    /// <summary>Rows per multi-row INSERT.</summary>
    public abstract int RowsPerInsert { get; }

    /// <summary>Fills {id} {uuid} {time} {bool} {true} {false} {bytes} {real}, and {hour_of_captured_at} (the start of its UTC hour, as a {time}), in shared DDL.</summary>
    public abstract string Ddl(string template);

    /// <summary>Runs once when the store opens, before migrations.</summary>
    public virtual void Initialise(DbConnection connection) { }

    protected abstract DbType TypeOf(Col type);

    protected abstract object ToDb(Col type, object value);

    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    public DateTimeOffset? ReadTimeOrNull(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    public DbParameter AddParameter(DbCommand command, string name, Col type)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.DbType = TypeOf(type);
        command.Parameters.Add(p);
        return p;
    }

    public void SetValue(DbParameter parameter, Col type, object? value) =>
        parameter.Value = value is null ? DBNull.Value : ToDb(type, value is string s ? TextValue.Clean(s) : value);

    public DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, Col Type, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, type, value) in parameters) SetValue(AddParameter(command, name, type), type, value);
        return command;
    }

    public int Execute(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, Col Type, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Times are kept to the millisecond everywhere so both providers round-trip the same value.</summary>
    protected static DateTimeOffset Millis(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    public virtual void Dispose() { }
}
