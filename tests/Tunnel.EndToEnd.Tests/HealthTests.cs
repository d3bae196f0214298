using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>What /healthz and /metrics of `tunnel central` say while its store fails, and after.</summary>
public sealed class HealthTests(ITestOutputHelper output)
{
    [Fact]
    public async Task While_the_store_fails_health_says_degraded_and_the_metrics_say_failing_until_it_works_again()
    {
        using var dir = new TempDirectory();
        var database = Path.Combine(dir.Path, "tunnel.db");
        var settings = Hosts.Embedded(dir.Path);
        // A store statement waits a second for another writer's lock, not SQLite's default half minute.
        settings["Tunnel:Database:ConnectionString"] = new SqliteConnectionStringBuilder { DataSource = database, DefaultTimeout = 1 }.ToString();
        await using var host = await Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output));
        await using var entry = await TestAgent.ConnectAsync(host.BrokerHost, host.BrokerPort, host.Credentials!.For, "north", Portal.Entry, 1);
        using var http = new HttpClient { BaseAddress = Hosts.HttpBase(host) };

        var (code, health) = await Health(http);
        Assert.Equal((HttpStatusCode.OK, "healthy", "ok"), (code, health.Status, health.Store));

        using (var backup = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            // Another writer (a backup, a stuck tool) holds the database; a passage gives the service something to write.
            backup.Open();
            using (var begin = backup.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }
            await entry.SendAsync(DateTimeOffset.UtcNow, "浙J12345");
            await Wait.UntilAsync(() => Health(http).GetAwaiter().GetResult().Health.Store == "failing", "/healthz saying the store fails");
            (code, health) = await Health(http);
            // Degraded, not down: the passage is decided and kept until the store is back.
            Assert.Equal((HttpStatusCode.OK, "degraded", "running"), (code, health.Status, health.Loop));
            Assert.Contains("tunnel_store_failing 1", await http.GetStringAsync("/metrics"));
            Assert.Equal(1, host.Service.Snapshot.Accepted);
        }

        await Wait.UntilAsync(() => Health(http).GetAwaiter().GetResult().Health.Status == "healthy", "/healthz healthy once the lock is gone");
        Assert.Contains("tunnel_store_failing 0", await http.GetStringAsync("/metrics"));
        await entry.AckAsync(1);
    }

    private sealed record HealthReport(string Status, string Store, string Loop);

    private static async Task<(HttpStatusCode Code, HealthReport Health)> Health(HttpClient http)
    {
        using var response = await http.GetAsync("/healthz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        return (response.StatusCode, new HealthReport(root.GetProperty("status").GetString()!, root.GetProperty("store").GetString()!, root.GetProperty("loop").GetString()!));
    }
}
