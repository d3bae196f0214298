using System.CommandLine;

namespace Tunnel.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "not yet");
        command.SetAction(_ => 1);
        return command;
    }
}
