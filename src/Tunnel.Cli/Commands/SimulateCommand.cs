using System.CommandLine;
using Spectre.Console;
using Tunnel.Simulation;

namespace Tunnel.Cli.Commands;

public static class SimulateCommand
{
    public static Command Create()
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder for passages.jsonl, truth.json and vehicles.jsonl", Required = true };
        var hours = new Option<double>("--hours") { Description = "Simulated duration", DefaultValueFactory = _ => 24 };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same traffic)", DefaultValueFactory = _ => 1 };
        var stops = new Option<int?>("--stops") { Description = "Stops per bore per day (default 15)" };
        var peak = new Option<double?>("--peak") { Description = "Peak vehicles per hour per bore (default 1500)" };
        var statusEvery = new Option<double?>("--status-every")
        {
            Description = "Seconds between each agent's status (its last sequence number), as the edge agent's StatusEverySeconds (default 10; 0 for none)",
        };
        var laneChanges = new Option<LaneChangeModel?>("--lane-changes")
        {
            HelpName = "uniform|motivated",
            Description = "Where illegal lane changers change: uniform (at a planned point, whatever the traffic; the default) or " +
                          "motivated (at or after it, only to get past a slower vehicle or to keep right into a clear slow lane)",
        };
        var laneChangeRate = new Option<double?>("--lane-change-rate")
        {
            Description = "Share of drivers planning an illegal lane change under the chosen --lane-changes (default 0.03 uniform, " +
                          $"{new SimulationOptions().MotivatedLaneChangeRate} motivated, where only those with a motive change)",
        };
        var command = new Command("simulate", "Make realistic tunnel traffic with ground truth (two bores of 猫狸岭 by default)")
            { outDir, hours, seed, stops, peak, statusEvery, laneChanges, laneChangeRate };
        command.SetAction(parse =>
        {
            var options = new SimulationOptions { Seed = parse.GetValue(seed), Duration = TimeSpan.FromHours(parse.GetValue(hours)) };
            if (parse.GetValue(stops) is { } s) options = options with { StopsPerBorePerDay = s };
            if (parse.GetValue(peak) is { } p) options = options with { PeakVehiclesPerHour = p };
            if (parse.GetValue(statusEvery) is { } every) options = options with { StatusEvery = TimeSpan.FromSeconds(every) };
            if (parse.GetValue(laneChanges) is { } model) options = options with { LaneChangeModel = model };
            if (parse.GetValue(laneChangeRate) is { } rate)
                options = options.LaneChangeModel == LaneChangeModel.Motivated
                    ? options with { MotivatedLaneChangeRate = rate }
                    : options with { IllegalLaneChangeRate = rate };
            var errors = options.Validate();
            if (errors.Count > 0)
            {
                foreach (var e in errors) AnsiConsole.MarkupLineInterpolated($"[red]{e}[/]");
                return 2;
            }
            SimulationResult result = null!;
            AnsiConsole.Status().Start("simulating traffic…", _ => result = TrafficSimulator.Run(options));
            var dir = parse.GetValue(outDir)!.FullName;
            result.WriteTo(dir);
            AnsiConsole.Write(new Text(result.Summary()));
            AnsiConsole.MarkupLineInterpolated($"written to [bold]{dir}[/]");
            return 0;
        });
        return command;
    }
}
