using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Cli.Demo;
using Tunnel.Core.Contracts;
using Xunit.Abstractions;

namespace Tunnel.Cli.Tests;

/// <summary>
/// The demo end to end: private mosquitto, SQLite, the central service on a scaled clock, eight agents
/// with their own logins, traffic over MQTT. Why an alarm is certain here: the feed starts the demo
/// 45 simulated seconds before the first stop of at least 4 minutes it can find within 20 minutes of
/// traffic; at 288 stops per bore per day (one per 5-minute slot and bore, 80 % of them 4 minutes or
/// longer) there are about eight candidates, so one is there but for odds of about 1 in 300,000. At the
/// evening peak (--hour 17) such a stop is detected a median of about 2 minutes after it begins, 4.5 at
/// the 95th percentile, and it lasts at least 4: at speed 30 that is within seconds of real time, well
/// inside the limits below.
/// </summary>
public sealed class DemoSmokeTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("tunnel-demo-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task Passages_flow_through_the_broker_into_the_service_and_a_stopped_vehicle_raises_an_alarm()
    {
        var options = new DemoOptions
        {
            Configuration = new Dictionary<string, string?>
            {
                ["Tunnel:DataDirectory"] = _dataDir,
                ["Tunnel:Broker:Port"] = "0",
                ["Tunnel:Http:Urls"] = "http://127.0.0.1:0",
            },
            Speed = 30,
            Traffic = new DemoTrafficOptions { Seed = 11, StopsPerBorePerDay = 288, LocalHour = 17 },
        };
        await using var demo = await DemoRunner.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None);
        Assert.Equal(8, demo.Agents.All.Count);
        Assert.Contains(demo.Feed.Stops, s => s.ResumedAt - s.StoppedAt >= TimeSpan.FromMinutes(4)
                                              && s.StoppedAt <= demo.Feed.Start + demo.Feed.PreRoll + TimeSpan.FromMinutes(1));

        var overdue = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        demo.Host.Service.AlarmChanged += t =>
        {
            if (t.Kind == AlarmKind.Overdue && t.State == AlarmState.ActiveUnacknowledged) overdue.TrySetResult();
        };
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = demo.RunAsync(new DemoScreen.Plain(TextWriter.Synchronized(output), TimeSpan.FromSeconds(1)), stop.Token);

        await overdue.Task.WaitAsync(TimeSpan.FromSeconds(90));
        // The demo's alarm tower, a real Modbus device, has the beacon lit and the siren sounding for the high alarm.
        var tower = demo.Tower ?? throw new Xunit.Sdk.XunitException("the demo started without its alarm tower: python3-pymodbus missing? (scripts/setup.sh installs it)");
        var towerClock = Stopwatch.StartNew();
        while (!(tower.IsOn("beacon") && tower.IsOn("siren")))
        {
            Assert.True(towerClock.Elapsed < TimeSpan.FromSeconds(30), $"the tower was never lit: {tower.Lit}");
            await Task.Delay(50); // the poll interval, not a synchronisation: the device's reports decide
        }
        // A fresh demo says how to log in, and that login works (while it runs: the console stops with the demo).
        var password = Regex.Match(output.ToString(), @"log in as admin / (\S+) ").Groups[1].Value;
        Assert.Equal(16, password.Length);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = new Uri(demo.Host.HttpUrls) };
        var token = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/v1/auth/antiforgery")).RootElement;
        http.DefaultRequestHeaders.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());
        var login = await http.PostAsync("/api/v1/auth/login",
            new StringContent($$"""{"userName":"admin","password":"{{password}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, login.StatusCode);

        await stop.CancelAsync();
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(summary.Accepted > 0, summary.ToString());
        Assert.Equal(summary.Published, summary.Accepted);
        Assert.Equal(0, summary.DeadLettered);
        Assert.Equal(0, summary.Undelivered);
        Assert.True(summary.MaxInside > 0, summary.ToString());
        Assert.True(summary.AlarmsRaised.GetValueOrDefault(AlarmKind.Overdue) >= 1, summary.ToString());
        Assert.Equal(8, demo.Host.Service.Snapshot.Agents.Count(a => a.Online));
        Assert.Contains("Tunnel demo: console http://127.0.0.1:", output.ToString());
        Assert.Matches(@"north: \d+ inside", output.ToString());
        Assert.Contains(" | tower beacon ", output.ToString());
    }

    /// <summary>
    /// Ctrl+C and SIGTERM cancel the command line's token, and `tunnel demo` stops on it with <c>interrupted</c> set: the quick way
    /// out. Stopped so while passages flow, the last ones still on their way, the summary accounts for every passage the agents sent
    /// and counts as accepted exactly what the store holds; also when the broker has stalled (SIGSTOP) and the last passages
    /// cannot arrive before the deadline: those are reported undelivered, not lost among the accepted.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopped_like_ctrl_c_while_passages_flow_the_summary_accounts_for_every_passage_as_the_store_does(bool brokerStalls)
    {
        var options = new DemoOptions
        {
            Configuration = new Dictionary<string, string?>
            {
                ["Tunnel:DataDirectory"] = _dataDir,
                ["Tunnel:Broker:Port"] = "0",
                ["Tunnel:Http:Urls"] = "http://127.0.0.1:0",
            },
            // At speed 1 the service's ticks, and so its snapshots, are furthest apart: a summary read from one misses the most.
            Speed = 1,
            Traffic = new DemoTrafficOptions { Seed = 3, StopsPerBorePerDay = 0, LocalHour = 17, PeakVehiclesPerHour = 6000 },
        };
        await using var demo = await DemoRunner.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None);
        // Live traffic, not the pre-roll's burst: passages captured since the demo began, taken by the service.
        var began = demo.Feed.Start + demo.Feed.PreRoll;
        var live = 0;
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        demo.Host.Service.PassagesDecided += decided =>
        {
            if ((live += decided.Count(d => d.Passage.CapturedAt >= began)) >= 20) flowing.TrySetResult();
        };
        using var interrupt = new CancellationTokenSource();
        // As `tunnel demo` links its stop to the command line's token.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token);
        var run = demo.RunAsync(new DemoScreen.Plain(TextWriter.Null, TimeSpan.FromSeconds(1)), stop.Token, interrupted: interrupt.Token);
        await flowing.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var broker = demo.Host.EmbeddedBrokerProcessId ?? throw new Xunit.Sdk.XunitException("the demo runs its own broker");
        DemoSummary summary;
        try
        {
            if (brokerStalls)
            {
                Signal("STOP", broker);
                // Passages sent into the stalled broker: none can reach the service before it stops.
                var before = demo.Feed.Delivered;
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                while (demo.Feed.Delivered < before + 3) await Task.Delay(20, patience.Token); // the poll interval: the feed's count decides
            }
            await interrupt.CancelAsync();
            summary = await run.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (brokerStalls) Signal("CONT", broker);
        }
        log.WriteLine(summary.ToString());

        Assert.True(summary.Accepted > 0, summary.ToString());
        Assert.True(summary.Published == summary.Accepted + summary.Duplicates + summary.DeadLettered + summary.Undelivered, summary.ToString());
        var stored = demo.Host.Store.ReadPassages(demo.Feed.Start - TimeSpan.FromDays(1)).LongCount();
        Assert.True(stored == summary.Accepted, $"the store holds {stored} passages; {summary}");
        if (brokerStalls) Assert.True(summary.Undelivered >= 3, summary.ToString());
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [Fact]
    public async Task Tunnel_demo_with_a_duration_stops_by_itself_and_prints_its_summary()
    {
        var tunnel = Path.Combine(AppContext.BaseDirectory, "tunnel.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                tunnel, "demo", "--duration", "00:00:25", "--speed", "30", "--stops", "288", "--hour", "17", "--seed", "5",
                "--data-dir", _dataDir, "--urls", "http://127.0.0.1:0",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["Tunnel__Broker__Port"] = "0" },
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);

        // Not a terminal: status lines, no live screen.
        Assert.Contains("agents 8/8", output);
        var summary = Regex.Match(output, @"summary: published=(\d+) accepted=(\d+) duplicates=\d+ dead-letters=(\d+) max-inside=(\d+) stops=\d+ alarms=\d+ overdue=(\d+)");
        Assert.True(summary.Success, output);
        long Field(int i) => long.Parse(summary.Groups[i].Value);
        Assert.True(Field(2) > 0, output);
        Assert.Equal(Field(1), Field(2));
        Assert.Equal(0, Field(3));
        Assert.True(Field(4) > 0, output);
        Assert.True(Field(5) >= 1, output);
        // The private broker went with the demo.
        Assert.False(BrokerStillRuns(), output);
    }

    private bool BrokerStillRuns() =>
        Process.GetProcessesByName("mosquitto").Any(p =>
        {
            try { return File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(_dataDir, StringComparison.Ordinal); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        });
}
