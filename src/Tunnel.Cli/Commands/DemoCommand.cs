using System.CommandLine;

namespace Tunnel.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "not yet");
        command.SetAction(_ => 1);
        return command;
    }
}
