using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Tunnel.Storage.Tests;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

/// <summary>
/// The PostgreSQL the tests run against: the server named by TUNNEL_TEST_POSTGRES if set, else a
/// private PostgreSQL 15 cluster in a temporary directory (unix socket only), deleted at the end.
/// Missing binaries fail every PostgreSQL test with a message naming the package to install.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    private readonly string _binDirectory;
    private readonly string? _root;

    public PostgresServer() : this(DefaultBinDirectory, Environment.GetEnvironmentVariable("TUNNEL_TEST_POSTGRES")) { }

    internal PostgresServer(string binDirectory, string? externalConnectionString)
    {
        _binDirectory = binDirectory;
        if (!string.IsNullOrWhiteSpace(externalConnectionString))
        {
            ConnectionString = externalConnectionString;
            return;
        }
        foreach (var tool in new[] { "initdb", "pg_ctl" })
        {
            if (!File.Exists(Path.Combine(binDirectory, tool)))
                throw new InvalidOperationException(
                    $"PostgreSQL 15 server binaries not found ({Path.Combine(binDirectory, tool)} is missing): install the Debian package " +
                    "'postgresql' (apt-get install postgresql), or set TUNNEL_TEST_POSTGRES to the connection string of a server to test against.");
        }
        _root = Directory.CreateTempSubdirectory("tunnel-pg-").FullName;
        try
        {
            // initdb refuses to run as root; the cluster's files must then belong to postgres.
            if (IsRoot) Run("chown", "postgres:postgres", _root);
            var data = Path.Combine(_root, "data");
            RunPostgresTool("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync");
            var port = FreePort();
            RunPostgresTool("pg_ctl", "-D", data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
                "-o", $"-p {port} -k {_root} -c listen_addresses='' -c max_connections=200", "start");
            ConnectionString = new NpgsqlConnectionStringBuilder { Host = _root, Port = port, Username = "postgres", Database = "postgres" }.ToString();
            WaitUntilAccepting();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ConnectionString { get; } = "";

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>A fresh schema on the server, and a connection string whose search path is that schema.</summary>
    public string CreateSchema(string schema)
    {
        Execute($"CREATE SCHEMA {schema}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ToString();
    }

    public void DropSchema(string schema) => Execute($"DROP SCHEMA IF EXISTS {schema} CASCADE");

    /// <summary>
    /// Ends every server process serving connections named <paramref name="applicationName"/>, as a server restart
    /// does, and returns once they are gone (PostgreSQL 14's wait): the clients' pooled connections are then dead.
    /// </summary>
    public int TerminateConnections(string applicationName)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        var pids = new List<int>();
        using (var find = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = @name", connection))
        {
            find.Parameters.AddWithValue("name", applicationName);
            using var reader = find.ExecuteReader();
            while (reader.Read()) pids.Add(reader.GetInt32(0));
        }
        foreach (var pid in pids)
        {
            using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(@pid, 10000)", connection);
            terminate.Parameters.AddWithValue("pid", pid);
            if (terminate.ExecuteScalar() is not true) throw new InvalidOperationException($"server process {pid} did not end within 10 s");
        }
        return pids.Count;
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>pg_ctl -w already waited for readiness; this confirms it with real connection attempts until a deadline.</summary>
    private void WaitUntilAccepting()
    {
        var deadline = Stopwatch.StartNew();
        var check = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 5 }.ToString();
        while (true)
        {
            try
            {
                using var connection = new NpgsqlConnection(check);
                connection.Open();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && deadline.Elapsed < StartDeadline)
            {
                // Poll interval between attempts, bounded by the deadline above.
                Thread.Sleep(100);
            }
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void RunPostgresTool(string tool, params string[] args)
    {
        var path = Path.Combine(_binDirectory, tool);
        if (IsRoot) Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
    }

    private void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root ?? Path.GetTempPath(),
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish within 2 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}\n{ServerLog()}");
    }

    private string ServerLog()
    {
        var log = _root is null ? null : Path.Combine(_root, "server.log");
        return log is not null && File.Exists(log) ? "server log:\n" + File.ReadAllText(log) : "";
    }

    public void Dispose()
    {
        if (_root is null) return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            var data = Path.Combine(_root, "data");
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
                RunPostgresTool("pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "stop");
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
