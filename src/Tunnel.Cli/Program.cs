using System.CommandLine;
using Tunnel.Cli.Commands;

var root = new RootCommand("Tunnel: vehicle-retention monitoring for road tunnels")
{
    DemoCommand.Create(),
    CentralCommand.Create(),
    SimulateCommand.Create(),
    ReplayCommand.Create(),
    EvaluateCommand.Create(),
    BenchCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
