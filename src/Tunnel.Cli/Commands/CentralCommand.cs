using System.CommandLine;

namespace Tunnel.Cli.Commands;

public static class CentralCommand
{
    public static Command Create()
    {
        var command = new Command("central", "not yet");
        command.SetAction(_ => 1);
        return command;
    }
}
