using System.CommandLine;

namespace Tunnel.Cli.Commands;

public static class EvaluateCommand
{
    public static Command Create()
    {
        var command = new Command("evaluate", "not yet");
        command.SetAction(_ => 1);
        return command;
    }
}
