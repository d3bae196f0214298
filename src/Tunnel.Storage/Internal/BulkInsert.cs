using System.Data.Common;
using System.Text;

namespace Tunnel.Storage.Internal;

/// <summary>
/// One INSERT shape (table, columns, conflict clause) run over many rows inside the caller's
/// transaction, as prepared commands carrying <see cref="Dialect.RowsPerInsert"/> rows each. The
/// full-size command is kept in the write session from one transaction to the next; a shorter one
/// (PostgreSQL's last chunk, whose size varies) is prepared for the one run.
/// </summary>
internal sealed class BulkInsert(string table, IReadOnlyList<(string Name, Col Type)> columns, string conflictClause)
{
    public void Run(WriteSession session, DbTransaction transaction, IReadOnlyList<object?[]> rows) =>
        Run(session, transaction, rows, returning: false, (command, _, _) => command.ExecuteNonQuery());

    /// <summary>
    /// Inserts the rows and returns the first-column values (the key) of those actually inserted,
    /// the others having met the conflict clause. A single-row statement says so by its row count;
    /// a multi-row statement needs RETURNING, which costs SQLite about twice the time per row.
    /// </summary>
    public HashSet<T> RunReturningNewKeys<T>(WriteSession session, DbTransaction transaction, IReadOnlyList<object?[]> rows, Func<DbDataReader, T> readKey)
    {
        var keys = new HashSet<T>();
        Run(session, transaction, rows, returning: true, (command, start, count) =>
        {
            if (count == 1)
            {
                if (command.ExecuteNonQuery() == 1) keys.Add((T)rows[start][0]!);
                return;
            }
            using var reader = command.ExecuteReader();
            while (reader.Read()) keys.Add(readKey(reader));
        });
        return keys;
    }

    private void Run(WriteSession session, DbTransaction transaction, IReadOnlyList<object?[]> rows, bool returning, Action<DbCommand, int, int> execute)
    {
        var dialect = session.Dialect;
        var perCommand = dialect.RowsPerInsert;
        for (var start = 0; start < rows.Count; start += perCommand)
        {
            var count = Math.Min(perCommand, rows.Count - start);
            var kept = count == perCommand;
            var command = kept
                ? session.GetOrPrepare((this, returning), transaction, () => Create(dialect, session.Connection, count, returning))
                : Create(dialect, session.Connection, count, returning);
            try
            {
                if (!kept)
                {
                    command.Transaction = transaction;
                    command.Prepare();
                }
                for (var r = 0; r < count; r++)
                {
                    var row = rows[start + r];
                    for (var c = 0; c < columns.Count; c++)
                        dialect.SetValue(command.Parameters[r * columns.Count + c], columns[c].Type, row[c]);
                }
                execute(command, start, count);
            }
            finally
            {
                if (!kept) command.Dispose();
            }
        }
    }

    private DbCommand Create(Dialect dialect, DbConnection connection, int rowCount, bool returning)
    {
        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ");
        var command = connection.CreateCommand();
        for (var r = 0; r < rowCount; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Count; c++)
            {
                var name = $"@p{r}_{c}";
                sql.Append(c == 0 ? name : ", " + name);
                dialect.AddParameter(command, name, columns[c].Type);
            }
            sql.Append(')');
        }
        sql.Append(' ').Append(conflictClause);
        if (returning && rowCount > 1) sql.Append(" RETURNING ").Append(columns[0].Name);
        command.CommandText = sql.ToString();
        return command;
    }
}
