using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;

namespace Tunnel.Cli.Demo;

/// <summary>Everything one frame of the demo's screen shows, gathered at one moment.</summary>
public sealed record DemoFrame(
    CentralSnapshot Snapshot,
    DateTimeOffset Now,
    double Speed,
    string HttpUrls,
    string Login,
    int AgentsExpected,
    long Published,
    int Outbox,
    int AlarmsRaised,
    int StopsSoFar,
    IReadOnlyList<string> RecentEvents,
    string? TowerLit = null);

/// <summary>
/// The demo's terminal screen: a panel per bore (occupancy, congestion, usual transit, the vehicles
/// inside longest first with their time against the usual transit), the open alarms, agents and
/// counters; or, when the output is not a terminal, one compact status line. Every plate, reason and
/// log text comes from the wire and is escaped before it reaches Spectre's markup.
/// </summary>
public static class LiveView
{
    public const int MaxVehicles = 12;
    public const int MaxAlarms = 8;
    private const int BarWidth = 14;

    public static IRenderable Render(DemoFrame f)
    {
        var s = f.Snapshot;
        var header = new Markup(
            $"[bold]Tunnel demo[/]  simulated time [bold]{Clock(f.Now)}[/]" + (f.Speed != 1 ? $" (×{f.Speed.ToString("0.##", CultureInfo.InvariantCulture)})" : "") +
            $"  ·  console [link]{Markup.Escape(f.HttpUrls)}[/], log in as [bold]{Markup.Escape(f.Login)}[/]  ·  [bold]Ctrl+C[/] stops");

        var bores = new Grid();
        foreach (var _ in s.Bores) bores.AddColumn(new GridColumn().PadRight(1));
        if (s.Bores.Count > 0) bores.AddRow(s.Bores.Select(Bore).ToArray());

        var online = s.Agents.Count(a => a.Online);
        var offline = s.Agents.Where(a => !a.Online).Select(a => Markup.Escape(a.AgentId)).ToList();
        var agents = $"agents online [bold]{online}[/]/{f.AgentsExpected}" + (offline.Count > 0 ? $"  [yellow]offline: {string.Join(", ", offline)}[/]" : "");
        var tower = f.TowerLit is null ? "" : $"alarm tower (Modbus TCP, simulated module): {Markup.Escape(f.TowerLit)}";
        var counters = $"published [bold]{f.Published}[/]  ·  accepted [bold]{s.Accepted}[/]  ·  duplicates {s.Duplicates}  ·  dead letters " +
                       (s.DeadLettered > 0 ? $"[yellow]{s.DeadLettered}[/]" : "0") + $"  ·  agent outboxes {f.Outbox}" +
                       $"  ·  alarms raised [bold]{f.AlarmsRaised}[/]  ·  stops simulated so far {f.StopsSoFar} [grey](ground truth)[/]";

        var events = new Rows(f.RecentEvents.Count == 0
            ? [new Markup("[grey]—[/]")]
            : f.RecentEvents.Select(e => (IRenderable)new Markup($"[grey]{Markup.Escape(e)}[/]").Overflow(Overflow.Ellipsis)).ToArray());

        return new Rows(
            header,
            bores,
            Alarms(s.OpenAlarms, f.Now),
            new Markup(agents + (tower.Length > 0 ? "  ·  " + tower : "")),
            new Markup(counters),
            new Panel(events).Header("recent events").BorderColor(Color.Grey).Expand());
    }

    /// <summary>One line for logs and CI, where a live screen would be noise.</summary>
    public static string StatusLine(DemoFrame f)
    {
        var s = f.Snapshot;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[{Clock(f.Now)} x{f.Speed:0.##}] ");
        sb.Append(string.Join(", ", s.Bores.Select(b =>
            $"{b.Bore.Bore}: {b.Occupancy} inside{(b.Congested ? " CONGESTED" : "")}")));
        sb.Append(CultureInfo.InvariantCulture, $" | published {f.Published} accepted {s.Accepted} dup {s.Duplicates} dead {s.DeadLettered}");
        sb.Append(CultureInfo.InvariantCulture, $" | agents {s.Agents.Count(a => a.Online)}/{f.AgentsExpected}");
        if (f.TowerLit is not null) sb.Append(" | tower ").Append(f.TowerLit);
        sb.Append(CultureInfo.InvariantCulture, $" | alarms raised {f.AlarmsRaised}, open {s.OpenAlarms.Count}");
        foreach (var a in s.OpenAlarms.Take(3))
            sb.Append("; ").Append($"{TunnelJson.Name(a.Kind)}/{TunnelJson.Name(a.Priority)} {a.Bore.Bore} {a.Plate ?? (a.Kind == AlarmKind.Overdue ? "(unread)" : "")}".TrimEnd());
        // Plain text, but still from the wire: keep control characters out of the log line.
        return new string(sb.ToString().Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    private static Panel Bore(BoreView b)
    {
        var state = b.Congested ? "[bold white on red] CONGESTED [/]" : "[green]flowing[/]";
        var named = b.Inside.Count(v => !v.ProbablyLeft);
        var info = new Markup(
            $"occupancy [bold]{b.Occupancy}[/] [grey](entries {b.Entries} − exits {b.Exits})[/], {named} tracked\n" +
            $"{state}  ·  usual transit [bold]{Span(b.UsualTransit)}[/]");

        var table = new Table().Border(TableBorder.Simple).HideFooters()
            .AddColumn("plate").AddColumn("class").AddColumn(new TableColumn("ln").RightAligned())
            .AddColumn(new TableColumn("inside").RightAligned()).AddColumn("vs usual transit");
        // Longest inside first: those are the ones that may be in trouble.
        foreach (var v in b.Inside.OrderByDescending(v => v.Elapsed).Take(MaxVehicles))
        {
            var alarmed = v.AlarmId is not null;
            var style = alarmed ? "bold red" : v.ProbablyLeft ? "grey" : "default";
            table.AddRow(
                new Markup(Plate(v.Plate, v.Color)),
                new Markup($"[{style}]{Markup.Escape(TunnelJson.Name(v.Class))}[/]" + (v.Hazmat ? " [bold black on darkorange]HAZ[/]" : "")),
                new Markup($"[{style}]{v.Lane}[/]"),
                new Markup($"[{style}]{Span(v.Elapsed)}[/]"),
                new Markup(Bar(v.Elapsed, v.Expected, alarmed) + (alarmed ? " [bold red]ALARM[/]" : v.ProbablyLeft ? " [grey]left?[/]" : "")));
        }
        var more = b.Inside.Count - Math.Min(b.Inside.Count, MaxVehicles);
        var body = new Rows(info, table, new Markup(more > 0 ? $"[grey]… and {more} more[/]" : ""));
        return new Panel(body).Header($"[bold]{Markup.Escape(b.Bore.ToString())}[/]").BorderColor(b.Congested ? Color.Red : Color.Blue);
    }

    private static IRenderable Alarms(IReadOnlyList<AlarmView> alarms, DateTimeOffset now)
    {
        if (alarms.Count == 0) return new Panel(new Markup("[green]no open alarms[/]")).Header("alarms").Expand();
        var table = new Table().Border(TableBorder.Rounded).Expand().Title("[bold]open alarms[/]")
            .AddColumn("priority").AddColumn("kind").AddColumn("state").AddColumn("bore").AddColumn("plate")
            .AddColumn(new TableColumn("ln").RightAligned()).AddColumn("since").AddColumn("reason");
        foreach (var a in alarms.Take(MaxAlarms))
        {
            table.AddRow(
                new Markup($"[{PriorityStyle(a.Priority)}]{TunnelJson.Name(a.Priority)}[/]"),
                new Markup(Markup.Escape(TunnelJson.Name(a.Kind))),
                new Markup(Markup.Escape(TunnelJson.Name(a.State))),
                new Markup(Markup.Escape(a.Bore.Bore)),
                new Markup(a.Kind == AlarmKind.Overdue ? Plate(a.Plate, null) + (a.Hazmat ? " [bold black on darkorange]HAZ[/]" : "") : ""),
                new Markup(a.Lane?.ToString(CultureInfo.InvariantCulture) ?? ""),
                new Markup($"{Clock(a.RaisedAt)} [grey]({Span(now - a.RaisedAt)} ago)[/]"),
                new Markup(Markup.Escape(a.Reason ?? "")).Overflow(Overflow.Ellipsis));
        }
        if (alarms.Count > MaxAlarms) table.Caption($"[grey]… and {alarms.Count - MaxAlarms} more[/]");
        return table;
    }

    /// <summary>A plate in its own colours (blue plates white on blue, yellow plates black on yellow, …); the text is escaped.</summary>
    public static string Plate(string? text, PlateColor? color)
    {
        if (text is null) return "[grey](unread)[/]";
        var style = color switch
        {
            PlateColor.Blue => "white on blue",
            PlateColor.Yellow => "black on yellow",
            PlateColor.Green => "black on green",
            PlateColor.White => "black on white",
            PlateColor.Black => "white on grey15",
            _ => "bold",
        };
        return $"[{style}]{Markup.Escape(text)}[/]";
    }

    /// <summary>Time inside as a bar that is full at twice the usual transit: green within it, yellow beyond, red past twice or when alarmed.</summary>
    public static string Bar(TimeSpan elapsed, TimeSpan expected, bool alarmed)
    {
        var ratio = expected > TimeSpan.Zero ? elapsed / expected : 0;
        var filled = (int)Math.Clamp(Math.Round(ratio / 2 * BarWidth), 0, BarWidth);
        var color = alarmed || ratio > 2 ? "red" : ratio > 1 ? "yellow" : "green";
        return $"[{color}]{new string('█', filled)}[/][grey]{new string('░', BarWidth - filled)}[/]";
    }

    private static string PriorityStyle(AlarmPriority p) => p switch
    {
        AlarmPriority.Critical => "bold white on red",
        AlarmPriority.High => "bold red",
        AlarmPriority.Medium => "yellow",
        _ => "grey",
    };

    private static string Clock(DateTimeOffset t) => t.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Span(TimeSpan t) => t < TimeSpan.Zero ? "0:00"
        : t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
