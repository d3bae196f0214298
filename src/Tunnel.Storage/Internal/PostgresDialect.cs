using System.Data;
using System.Data.Common;
using Npgsql;

namespace Tunnel.Storage.Internal;

/// <summary>PostgreSQL: native uuid, timestamptz and boolean; JSON kept as text so it comes back byte for byte.</summary>
internal sealed class PostgresDialect(string connectionString) : Dialect
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    // Each statement is a network round trip: carry many rows per INSERT (500 x 14 parameters stays far below the 65,535 limit).
    public override int RowsPerInsert => 500;

    public override DbConnection Open() => _dataSource.OpenConnection();

    // Npgsql hands out pooled connections without asking the server (a round trip per use): after a server restart each
    // idle one fails at its first statement, with an I/O error or the server's "terminating connection" notice.
    public override bool LostConnection(Exception e) => e is NpgsqlException { IsTransient: true }
        or PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow };

    public override void ForgetIdleConnections() => _dataSource.Clear();

    public override string Ddl(string template) => template
        .Replace("{id}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
        .Replace("{uuid}", "UUID")
        .Replace("{time}", "TIMESTAMPTZ")
        .Replace("{bool}", "BOOLEAN")
        .Replace("{true}", "TRUE")
        .Replace("{false}", "FALSE")
        .Replace("{bytes}", "BYTEA")
        .Replace("{real}", "DOUBLE PRECISION")
        .Replace("{hour_of_captured_at}", "to_timestamp(FLOOR(EXTRACT(EPOCH FROM captured_at) / 3600) * 3600)");

    protected override DbType TypeOf(Col type) => type switch
    {
        Col.Text => DbType.String,
        Col.Uuid => DbType.Guid,
        Col.Int => DbType.Int32,
        Col.Long => DbType.Int64,
        Col.Time => DbType.DateTimeOffset,
        Col.Real => DbType.Double,
        Col.Bool => DbType.Boolean,
        Col.Bytes => DbType.Binary,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    protected override object ToDb(Col type, object value) => type == Col.Time ? Millis((DateTimeOffset)value) : value;

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override void Dispose() => _dataSource.Dispose();
}
