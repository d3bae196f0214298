using System.CommandLine;
using Tunnel.Simulation;
using Tunnel.Simulation.Evaluation;

namespace Tunnel.Cli.Commands;

public static class EvaluateCommand
{
    public static Command Create()
    {
        var truth = new Option<FileInfo[]>("--truth")
        {
            Description = "truth.json written by `tunnel simulate`; several (one per day) are scored as one sample",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var alarms = new Option<FileInfo[]>("--alarms")
        {
            Description = "Alarm transitions (JSONL) written by `tunnel replay`, one per --truth, in the same order",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("evaluate", "Score alarms against the simulation's ground truth: detection, delay, false alarms") { truth, alarms };
        command.SetAction(parse =>
        {
            var (truths, alarmFiles) = (parse.GetValue(truth)!, parse.GetValue(alarms)!);
            if (truths.Length != alarmFiles.Length)
            {
                Console.Error.WriteLine($"evaluate: {truths.Length} truth file(s) but {alarmFiles.Length} alarm file(s); give one alarm file per truth file");
                return 2;
            }
            var days = truths.Zip(alarmFiles, (t, a) => (Day: DayName(t),
                Report: AlarmEvaluator.Evaluate(SimulationTruth.Load(t.FullName), AlarmEvaluator.ReadAlarms(a.FullName)))).ToList();
            var report = days.Count == 1 ? days[0].Report : AlarmEvaluator.Pool(days.Select(d => d.Report).ToList());
            if (days.Count > 1)
            {
                Console.WriteLine(EvaluationReport.FormatDays(days));
                Console.WriteLine($"All {days.Count} days as one sample:");
            }
            Console.WriteLine(report.Format());
            return report.Targets.All(t => t.Passed) ? 0 : 1;
        });
        return command;
    }

    /// <summary>A day's label: the folder `tunnel simulate` wrote it to.</summary>
    private static string DayName(FileInfo truth) => truth.Directory?.Name ?? truth.Name;
}
