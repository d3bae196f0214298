using Spectre.Console;
using Tunnel.Central.Service;
using Tunnel.Cli.Demo;
using Tunnel.Core.Contracts;

namespace Tunnel.Cli.Tests;

public class LiveViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 8, 20, 0, TimeSpan.Zero);

    private static DemoFrame Frame(string hostilePlate)
    {
        var bore = new BoreKey("maoliling", "north");
        var inside = new List<VehicleInside>
        {
            new(Guid.NewGuid(), hostilePlate, PlateColor.Yellow, VehicleClass.Truck, true, 2, Now.AddMinutes(-9), TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(2.7), Guid.NewGuid(), false),
            new(Guid.NewGuid(), null, null, VehicleClass.Car, false, 1, Now.AddMinutes(-1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2.7), null, false),
        };
        var alarm = new AlarmView(Guid.NewGuid(), AlarmKind.Overdue, AlarmState.ActiveUnacknowledged, AlarmPriority.Critical, bore, hostilePlate,
            Now.AddMinutes(-4), Now.AddMinutes(-9), 2, VehicleClass.Truck, true, $"reason with {hostilePlate}", null);
        var snapshot = new CentralSnapshot(Now, [new BoreView(bore, 2, false, TimeSpan.FromMinutes(2.7), 10, 8, inside)], [alarm],
            [new AgentStatus { AgentId = "maoliling-north-entry-1", Online = false }], 10, 1, 2, new Dictionary<string, long>(), 0);
        return new DemoFrame(snapshot, Now, 30, "http://127.0.0.1:5080", "admin / [red]x[/]", 8, 11, 0, 1, 1, [$"log line about {hostilePlate}"]);
    }

    private static string Draw(DemoFrame frame)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 220;
        console.Write(LiveView.Render(frame));
        return output.ToString();
    }

    [Theory]
    [InlineData("[red]浙J1[/]")]
    [InlineData("浙J[[1")]
    [InlineData("[/]")]
    [InlineData("[")]
    public void Plates_from_the_wire_are_shown_literally_never_read_as_markup(string plate)
    {
        var text = Draw(Frame(plate));
        Assert.Contains(plate, text);
        Assert.Contains("(unread)", text);
        Assert.Contains("ALARM", text);
    }

    [Fact]
    public void Status_line_keeps_control_characters_out()
    {
        var line = LiveView.StatusLine(Frame("浙J\u001b[2J123"));
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("north: 2 inside", line);
        Assert.Contains("accepted 10", line);
    }

    [Fact]
    public void Time_bar_is_full_at_twice_the_usual_transit()
    {
        Assert.Contains(new string('█', 14), LiveView.Bar(TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(3), false));
        Assert.StartsWith("[green]", LiveView.Bar(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3), false));
        Assert.StartsWith("[red]", LiveView.Bar(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3), true));
    }
}
