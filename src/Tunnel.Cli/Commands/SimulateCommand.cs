using System.CommandLine;

namespace Tunnel.Cli.Commands;

public static class SimulateCommand
{
    public static Command Create()
    {
        var command = new Command("simulate", "not yet");
        command.SetAction(_ => 1);
        return command;
    }
}
