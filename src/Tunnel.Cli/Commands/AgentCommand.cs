using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Tunnel.Agent;
using Tunnel.Agent.Check;
using Tunnel.Recognition.Plates;

namespace Tunnel.Cli.Commands;

public static class AgentCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Agent configuration (JSON with an \"Agent\" section; see hardware/agent.example.json). Environment variables TUNNEL_AGENT__… override it", Required = true };
        var drain = new Option<TimeSpan>("--drain-timeout") { Description = "For a file or folder source: how long to wait at the end for the central service to confirm every passage", DefaultValueFactory = _ => TimeSpan.FromSeconds(60) };
        var check = new Option<bool>("--check") { Description = "Test the camera instead of running: frames, lane region, what is read and at what CPU cost, the broker login, the central service's last acknowledgement; writes a picture of the lane region. Sends nothing the central service counts. Exit 1 if a check fails" };
        var checkFor = new Option<TimeSpan>("--check-for") { Description = "How long --check watches the camera", DefaultValueFactory = _ => TimeSpan.FromSeconds(20) };
        var command = new Command("agent", "Run an edge agent: one camera, its virtual loop, plate and vehicle recognition, passages to the central service") { config, drain, check, checkFor };
        command.SetAction(async (parse, ct) =>
        {
            using var logs = Logging.Create();
            var log = logs.CreateLogger("tunnel.agent");
            var options = Load(parse.GetValue(config)!);
            if (parse.GetValue(check)) return await CheckAsync(options, parse.GetValue(checkFor), Console.Out, ct);
            EdgeAgent agent;
            try
            {
                agent = EdgeAgent.Start(options, PlateReader.Create(), TimeProvider.System, logs);
            }
            catch (AgentConfigurationException e)
            {
                foreach (var error in e.Errors) log.LogError("configuration: {Error}", error);
                return 2;
            }
            await using (agent)
            {
                try { await agent.RunAsync(ct); }
                catch (AgentConfigurationException e)
                {
                    foreach (var error in e.Errors) log.LogError("configuration: {Error}", error);
                    return 2;
                }
                if (ct.IsCancellationRequested) return 0;
                // A file or folder has ended: stay until the central service holds every passage, or say what is left.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(parse.GetValue(drain));
                try { await agent.WhenDelivered(wait.Token); }
                catch (OperationCanceledException) { }
                log.LogInformation("source ended: {Passages} passages, {Left} not yet confirmed by the central service", agent.Passages, agent.Outbox.Depth);
                return agent.Outbox.Depth == 0 ? 0 : 3;
            }
        });
        return command;
    }

    private static async Task<int> CheckAsync(AgentOptions options, TimeSpan watch, TextWriter output, CancellationToken ct)
    {
        output.WriteLine($"Checking agent {options.AgentId} for {watch.TotalSeconds:0} s…");
        // The check's own findings are its output; the pipeline's log lines would bury them.
        using var quiet = Logging.Create(LogLevel.Error);
        var report = await CameraCheck.RunAsync(options, () => PlateReader.Create(), watch, quiet, ct);
        foreach (var item in report.Items)
        {
            var mark = item.Outcome switch
            {
                CheckOutcome.Passed => "ok  ",
                CheckOutcome.Warning => "warn",
                CheckOutcome.Failed => "FAIL",
                _ => "skip",
            };
            output.WriteLine($"{mark}  {item.Name,-16} {item.Detail}");
        }
        foreach (var picture in report.Pictures) output.WriteLine($"picture: {picture}");
        output.WriteLine(report.Passed ? "The camera is ready." : "Not ready: fix what FAILs above and check again.");
        return report.Passed ? 0 : 1;
    }

    public static AgentOptions Load(FileInfo file) =>
        new ConfigurationBuilder()
            .AddJsonFile(file.FullName, optional: false)
            .AddEnvironmentVariables("TUNNEL_")
            .Build()
            .GetSection("Agent").Get<AgentOptions>() ?? new AgentOptions();
}
