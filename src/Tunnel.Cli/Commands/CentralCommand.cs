using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Cli.Hosting;

namespace Tunnel.Cli.Commands;

public static class CentralCommand
{
    public static Option<DirectoryInfo?> DataDir { get; } = new("--data-dir") { Description = "Data directory (database, private broker); default: ./data from appsettings.json for central, a fresh ./data/demo-<time> for demo" };
    public static Option<FileInfo?> Sites { get; } = new("--sites") { Description = "Sites file (JSON); default: the 猫狸岭 reference deployment" };
    public static Option<string?> Urls { get; } = new("--urls") { Description = "HTTP listen address(es); default http://127.0.0.1:5080" };

    public static Command Create()
    {
        var command = new Command("central", "Run the central service: private broker (unless configured), store, matching, alarms, HTTP") { DataDir, Sites, Urls };
        command.SetAction(async (parse, ct) =>
        {
            using var logs = Logging.Create();
            CentralHost host;
            try
            {
                // A step of the machine's wall clock must not move the service's: see SteadyClock.
                host = await CentralHost.StartAsync(CentralHost.LoadConfiguration(Overrides(parse)), new SteadyClock(), logs, ct: ct);
            }
            catch (ConfigurationProblem e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            await using var _ = host;
            logs.CreateLogger("tunnel").LogInformation("central service running; broker {Host}:{Port}; HTTP {Urls}; Ctrl+C stops",
                host.BrokerHost, host.BrokerPort, host.HttpUrls);
            await WaitForStopAsync(host, ct);
            return 0;
        });
        return command;
    }

    public static Dictionary<string, string?> Overrides(ParseResult parse)
    {
        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(DataDir) is { } dir) overrides["Tunnel:DataDirectory"] = dir.FullName;
        if (parse.GetValue(Sites) is { } sites) overrides["Tunnel:SitesFile"] = sites.FullName;
        if (parse.GetValue(Urls) is { } urls) overrides["Tunnel:Http:Urls"] = urls;
        return overrides;
    }

    public static async Task WaitForStopAsync(CentralHost host, CancellationToken ct)
    {
        try { await host.Loop.WaitAsync(ct); }
        catch (OperationCanceledException) { }
    }
}

/// <summary>Structured console logs (one line per event, UTC timestamps), the way operators' log shippers read them.</summary>
public static class Logging
{
    public static ILoggerFactory Create(LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddFilter("Microsoft", LogLevel.Warning)
            .AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; }));
}
