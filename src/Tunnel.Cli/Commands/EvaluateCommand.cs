using System.CommandLine;
using Tunnel.Simulation;
using Tunnel.Simulation.Evaluation;

namespace Tunnel.Cli.Commands;

public static class EvaluateCommand
{
    public static Command Create()
    {
        var truth = new Option<FileInfo>("--truth") { Description = "truth.json written by `tunnel simulate`", Required = true };
        var alarms = new Option<FileInfo>("--alarms") { Description = "Alarm transitions (JSONL) written by `tunnel replay`", Required = true };
        var command = new Command("evaluate", "Score alarms against the simulation's ground truth: detection, delay, false alarms") { truth, alarms };
        command.SetAction(parse =>
        {
            var report = AlarmEvaluator.Evaluate(SimulationTruth.Load(parse.GetValue(truth)!.FullName),
                AlarmEvaluator.ReadAlarms(parse.GetValue(alarms)!.FullName));
            Console.WriteLine(report.Format());
            return report.Targets.All(t => t.Passed) ? 0 : 1;
        });
        return command;
    }
}
