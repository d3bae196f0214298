using System.CommandLine;
using Spectre.Console;
using Tunnel.Central.Replay;
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
            var sitesFile = parse.GetValue(sites) is { } f ? SitesFile.Load(f.FullName) : SitesFile.Maoliling;
            using var input = File.OpenRead(parse.GetValue(passages)!.FullName);
            using var output = new StreamWriter(parse.GetValue(alarmsOut)!.FullName);
            var summary = ReplayRunner.Run(sitesFile, input, output);
            Print(summary);
            return 0;
        });
        return command;
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
