using System.Data.Common;

namespace Tunnel.Storage.Internal;

/// <summary>
/// The store's one write connection and the commands prepared on it, kept from one write to the
/// next: every write is serialised by the store's lock anyway, and a busy writer (hundreds of
/// commits a second) would otherwise open a pooled connection, set its pragmas and parse the same
/// SQL again on every commit. Used only under that lock. A write that fails throws the session away
/// (its connection may be broken: PostgreSQL restarted, SQLite's file locked), and the next write
/// opens a new one.
/// </summary>
internal sealed class WriteSession(Dialect dialect) : IDisposable
{
    private readonly Dictionary<object, DbCommand> _prepared = [];

    public DbConnection Connection { get; } = dialect.OpenForWriting();

    public Dialect Dialect => dialect;

    /// <summary>Commands prepared so far (for tests).</summary>
    public int PreparedCount => _prepared.Count;

    /// <summary>
    /// The command for <paramref name="sql"/>, prepared on first use and kept, with the values bound and
    /// enlisted in <paramref name="transaction"/>. The caller must not dispose it (a reader it opens, yes).
    /// The parameters must come in the same order, with the same types, on every call with the same SQL.
    /// </summary>
    public DbCommand Prepared(DbTransaction transaction, string sql, params (string Name, Col Type, object? Value)[] parameters)
    {
        var command = GetOrPrepare(sql, transaction, () =>
        {
            var c = Connection.CreateCommand();
            c.CommandText = sql;
            foreach (var (name, type, _) in parameters) dialect.AddParameter(c, name, type);
            return c;
        });
        for (var i = 0; i < parameters.Length; i++) dialect.SetValue(command.Parameters[i], parameters[i].Type, parameters[i].Value);
        return command;
    }

    public int Execute(DbTransaction transaction, string sql, params (string Name, Col Type, object? Value)[] parameters) =>
        Prepared(transaction, sql, parameters).ExecuteNonQuery();

    /// <summary>The command kept under <paramref name="key"/>, made by <paramref name="create"/> (with its parameters) and prepared on first use.</summary>
    public DbCommand GetOrPrepare(object key, DbTransaction transaction, Func<DbCommand> create)
    {
        if (!_prepared.TryGetValue(key, out var command))
        {
            command = create();
            command.Transaction = transaction;
            try { command.Prepare(); }
            catch
            {
                command.Dispose();
                throw;
            }
            _prepared[key] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _prepared.Values) command.Dispose();
        _prepared.Clear();
        Connection.Dispose();
    }
}
