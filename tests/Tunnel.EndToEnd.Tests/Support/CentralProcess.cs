using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Tunnel.EndToEnd.Tests.Support;

/// <summary>
/// `tunnel central` as its own process (dotnet tunnel.dll central ...), so it can die the way a
/// real one does: SIGKILL, no disposal, no flush. The embedded broker dies with it (its watchdog).
/// </summary>
public sealed class CentralProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private CentralProcess(Process process, string dataDirectory, int brokerPort, int httpPort)
    {
        _process = process;
        DataDirectory = dataDirectory;
        BrokerPort = brokerPort;
        HttpPort = httpPort;
    }

    public string DataDirectory { get; }
    public int BrokerPort { get; }
    public int HttpPort { get; }
    public int Pid => _process.Id;
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>The program next to this test assembly: the build copies tunnel.dll with its runtimeconfig and deps.</summary>
    public static string ProgramPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "tunnel.dll");
            return File.Exists(path) && File.Exists(Path.Combine(AppContext.BaseDirectory, "tunnel.runtimeconfig.json"))
                ? path
                : throw new FileNotFoundException($"tunnel.dll (and its runtimeconfig) not found next to the tests in {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Starts it and returns once /healthz answers 200.</summary>
    public static async Task<CentralProcess> StartAsync(string dataDirectory, int brokerPort, int httpPort)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ProgramPath, "central", "--data-dir", dataDirectory, "--urls", $"http://127.0.0.1:{httpPort}" },
            WorkingDirectory = dataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Tunnel__Broker__Port"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Tunnel__AgentOfflineDelaySeconds"] = "0";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = start };
        var child = new CentralProcess(process, dataDirectory, brokerPort, httpPort);
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) child._output.Enqueue(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) child._output.Enqueue(line); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Wait.UntilAsync(() =>
            {
                if (process.HasExited) throw new InvalidOperationException($"tunnel central exited with {process.ExitCode}:\n{child.Output}");
                try { return http.GetAsync($"http://127.0.0.1:{httpPort}/healthz").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK; }
                catch (HttpRequestException) { return false; }
                catch (TaskCanceledException) { return false; }
            }, "tunnel central healthy", TimeSpan.FromSeconds(45));
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
        return child;
    }

    /// <summary>The broker passwords the embedded broker generated in the data directory.</summary>
    public IReadOnlyDictionary<string, string> Passwords() =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(DataDirectory, "broker", "credentials.json")))!;

    /// <summary>
    /// SIGKILL, then waits until the process is reaped and, unless <paramref name="waitForPorts"/> is false (a supervisor
    /// restarting it at once), until its ports (its broker's too) are free again.
    /// </summary>
    public async Task KillAsync(bool waitForPorts = true)
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
        if (waitForPorts) await Wait.UntilAsync(() => Hosts.PortIsFree(BrokerPort) && Hosts.PortIsFree(HttpPort), "the killed service's ports released");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
