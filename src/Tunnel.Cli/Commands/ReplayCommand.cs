using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using Tunnel.Central.Overdue;
using Tunnel.Central.Replay;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;

namespace Tunnel.Cli.Commands;

public static class ReplayCommand
{
    public static Command Create()
    {
        var sites = new Option<FileInfo?>("--sites") { Description = "Sites file (JSON); default: the 猫狸岭 reference deployment" };
        var passages = new Option<FileInfo>("--passages") { Description = "Passages, one JSON per line, in delivery order", Required = true };
        var alarmsOut = new Option<FileInfo>("--alarms-out") { Description = "Where to write alarm transitions (JSONL)", Required = true };
        var command = new Command("replay", "Run matching and overdue detection over recorded passages on event time") { sites, passages, alarmsOut };
        command.SetAction(parse =>
        {
            // The configuration `tunnel central` reads (appsettings.json, Tunnel__… variables): a deployment
            // weighs a change of its detector settings on its own recorded traffic before it goes live.
            var configuration = CentralHost.LoadConfiguration(new Dictionary<string, string?>());
            var summary = Run(configuration, parse.GetValue(sites), parse.GetValue(passages)!, parse.GetValue(alarmsOut)!, out var detector);
            AnsiConsole.MarkupLine($"detector: alarm level {detector.AlarmLevel} (hazmat {detector.HazmatAlarmLevel}), change-point tolerance {detector.ChangePointTolerance}");
            Print(summary);
            return 0;
        });
        return command;
    }

    /// <summary>Replays <paramref name="passages"/> with the sites and detector settings of <paramref name="configuration"/> (<paramref name="sites"/> first).</summary>
    public static ReplaySummary Run(IConfiguration configuration, FileInfo? sites, FileInfo passages, FileInfo alarmsOut, out DetectorSettings detector)
    {
        var sitesPath = sites?.FullName ?? configuration["Tunnel:SitesFile"];
        var sitesFile = sitesPath is null ? SitesFile.Maoliling : SitesFile.Load(sitesPath);
        detector = configuration.GetSection("Tunnel:Detector").Get<DetectorSettings>() ?? new DetectorSettings();
        using var input = File.OpenRead(passages.FullName);
        using var output = new StreamWriter(alarmsOut.FullName);
        return ReplayRunner.Run(sitesFile, input, output, detector);
    }

    public static void Print(ReplaySummary s)
    {
        AnsiConsole.MarkupLine($"replayed [bold]{s.Accepted:N0}[/] passages ({s.Duplicates:N0} duplicates, {s.Rejected:N0} unreadable) and {s.Statuses:N0} agent statuses in {s.Elapsed.TotalSeconds:0.00} s: [bold]{s.PassagesPerSecond:N0}[/] passages/s");
        var table = new Table().AddColumns("bore", "entries", "exits", "occupancy", "named inside", "unread in/out", "exact", "fuzzy", "inferred", "unmatched exits", "late by status", "overdue alarms", "retracted");
        foreach (var b in s.Bores)
        {
            var c = b.Counters;
            table.AddRow(Markup.Escape(b.Bore.ToString()), $"{c.Entries:N0}", $"{c.Exits:N0}", $"{b.Occupancy}", $"{b.NamedInside}",
                $"{c.UnreadEntries}/{c.UnreadExits}", $"{c.ExactMatches:N0}", $"{c.FuzzyMatches:N0}", $"{c.InferredExits:N0}",
                $"{c.UnmatchedExits:N0}", $"{c.LateFromStatus:N0}", $"{c.OverdueAlarms}", $"{c.RetractedAlarms}");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"alarms: {s.OverdueAlarms} overdue, {s.CongestionAlarms} congestion, {s.AlarmTransitions} transitions");
    }
}
