using System.CommandLine;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Tunnel.Cli.Demo;
using Tunnel.Cli.Hosting;

namespace Tunnel.Cli.Commands;

public static class DemoCommand
{
    public static Option<double> Speed { get; } = new("--speed")
    {
        Description = "Time compression: simulated seconds per real second, for the central service and the agents alike (1 = real time)",
        DefaultValueFactory = _ => 1,
    };
    public static Option<int> Stops { get; } = new("--stops")
    {
        Description = "Vehicles that stop inside, per bore per day (a real tunnel sees about a dozen; the demo wants to show some). 0: none, not even the early one",
        DefaultValueFactory = _ => new DemoTrafficOptions().StopsPerBorePerDay,
    };
    public static Option<double> Peak { get; } = new("--peak")
    {
        Description = "Peak vehicles per hour per bore",
        DefaultValueFactory = _ => new DemoTrafficOptions().PeakVehiclesPerHour,
    };
    public static Option<int?> Hour { get; } = new("--hour") { Description = "Local hour (0-23) the daily traffic profile starts at; default: the current local time" };
    public static Option<int?> Seed { get; } = new("--seed") { Description = "Random seed of the simulated traffic; default: a new one every run" };
    public static Option<TimeSpan?> Duration { get; } = new("--duration")
    {
        Description = "Stop by itself after this much real time (e.g. 00:02:00) and print a summary; default: until Ctrl+C",
    };
    public static Option<bool> Plain { get; } = new("--plain") { Description = "Status lines instead of the live view (the default when output is not a terminal)" };

    public static Command Create()
    {
        var command = new Command("demo",
            "Watch Tunnel work: the central service (private broker, store, HTTP) with one simulated edge agent per camera " +
            "publishing simulated traffic over MQTT, and a live view of the bores, vehicles inside and alarms")
        {
            CentralCommand.DataDir, CentralCommand.Sites, CentralCommand.Urls, Speed, Stops, Peak, Hour, Seed, Duration, Plain,
        };
        command.SetAction(RunAsync);
        return command;
    }

    /// <summary>
    /// Each demo run gets a data directory of its own unless one is named: a second run must not
    /// inherit the first run's simulated vehicles, which would all look overdue.
    /// </summary>
    private static Dictionary<string, string?> DemoConfiguration(ParseResult parse)
    {
        var overrides = CentralCommand.Overrides(parse);
        if (parse.GetValue(CentralCommand.DataDir) is null)
            overrides["Tunnel:DataDirectory"] = Path.Combine("data", $"demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        return overrides;
    }

    /// <summary>The demo's options from the command line; the configuration overrides are those of `tunnel central`.</summary>
    public static DemoOptions Options(ParseResult parse) => new()
    {
        Configuration = DemoConfiguration(parse),
        Speed = parse.GetValue(Speed),
        Traffic = new DemoTrafficOptions
        {
            Seed = parse.GetValue(Seed) ?? Random.Shared.Next(1, int.MaxValue / 2),
            StopsPerBorePerDay = parse.GetValue(Stops),
            PeakVehiclesPerHour = parse.GetValue(Peak),
            LocalHour = parse.GetValue(Hour),
        },
    };

    /// <summary>What is wrong with the options, if anything (checked here: a command validator does not see the defaults).</summary>
    public static IReadOnlyList<string> Validate(ParseResult parse)
    {
        var errors = new List<string>();
        var speed = parse.GetValue(Speed);
        if (!double.IsFinite(speed) || speed <= 0 || speed > 1000) errors.Add("--speed must be in (0, 1000]");
        if (parse.GetValue(Stops) < 0) errors.Add("--stops must not be negative");
        var peak = parse.GetValue(Peak);
        if (!double.IsFinite(peak) || peak <= 0) errors.Add("--peak must be positive");
        if (parse.GetValue(Hour) is { } hour && hour is < 0 or > 23) errors.Add("--hour must be 0 to 23");
        if (parse.GetValue(Duration) is { } d && d <= TimeSpan.Zero) errors.Add("--duration must be positive");
        return errors;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        if (Validate(parse) is { Count: > 0 } errors)
        {
            foreach (var e in errors) Console.Error.WriteLine(e);
            return 2;
        }
        var options = Options(parse);
        var live = !parse.GetValue(Plain) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        // Under the live view, log lines would tear the screen: they go to its "recent events" panel instead.
        var events = new RecentEvents();
        using var logs = live
            ? LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddProvider(events))
            : Logging.Create();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (parse.GetValue(Duration) is { } duration) stop.CancelAfter(duration);
        DemoRunner demo;
        try
        {
            demo = live
                ? await AnsiConsole.Status().StartAsync("starting the broker, the central service and the simulated agents…",
                    _ => DemoRunner.StartAsync(options, logs, stop.Token))
                : await DemoRunner.StartAsync(options, logs, stop.Token);
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (ConfigurationProblem e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        await using (demo)
        {
            DemoScreen screen = live ? new DemoScreen.Live(AnsiConsole.Console, events, options.Refresh) : new DemoScreen.Plain(Console.Out, options.StatusEvery);
            var summary = await demo.RunAsync(screen, stop.Token, interrupted: ct);
            Console.Out.WriteLine(summary.ToString());
            Console.Out.Flush();
        }
        // Ctrl+C is the normal way to end the demo, not a failure.
        return 0;
    }
}
