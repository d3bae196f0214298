using Microsoft.Data.Sqlite;

namespace Tunnel.Storage;

public enum StoreProvider { Sqlite, Postgres }

/// <summary>Where the store lives. SQLite is the embedded default; PostgreSQL runs the same code.</summary>
public sealed record StoreOptions(StoreProvider Provider, string ConnectionString)
{
    /// <summary>Stamps the store's own audit entries (the retention purge).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public static StoreOptions SqliteFile(string path) =>
        new(StoreProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(path) }.ToString());

    /// <summary>The SQLite file <paramref name="fileName"/> in <paramref name="dataDirectory"/>, which is created if missing.</summary>
    public static StoreOptions SqliteInDataDirectory(string dataDirectory, string fileName = "tunnel.db")
    {
        Directory.CreateDirectory(dataDirectory);
        return SqliteFile(Path.Combine(dataDirectory, fileName));
    }

    public static StoreOptions Postgres(string connectionString) => new(StoreProvider.Postgres, connectionString);
}
