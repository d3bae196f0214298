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
    RecognizeCommand.Create(),
    AgentCommand.Create(),
};
// Written to a file or a CI log, Spectre.Console assumes 80 columns, and the summary tables cut every
// cell to a few letters: give them room (a terminal keeps its own width).
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;
// Shutting down cleanly (agents, service loop, store, private broker) takes longer than the default 2 s.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });
