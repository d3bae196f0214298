using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tunnel.Core.Contracts;

namespace Tunnel.Cli.Bench;

/// <summary>
/// The simulated agents in a child process of this same program (`tunnel bench agents`, hidden),
/// started under `nice`: in a deployment the agents are other machines, so here they must neither
/// take the service's CPU nor pause it with their garbage collections.
/// <para>
/// Both processes read <see cref="Stopwatch"/>, which on Linux is CLOCK_MONOTONIC, one clock for
/// the whole machine: the child's send, PUBACK and ack instants join the service's receive and
/// decision instants by plan index. The conversation: the parent writes the plan to a file; the
/// child connects its agents and prints <c>ready</c>; the parent writes the start instant on the
/// child's stdin; the child prints <c>sent &lt;ticks&gt;</c> after its last send, then waits for the
/// acks, writes the timings file and exits 0. The parent keeps the child's stdin open throughout:
/// its end tells the child that nobody is left to report to.
/// </para>
/// </summary>
public sealed class AgentsProcess : IAgentLoad
{
    public const string Verb = "agents";
    private const string Ready = "ready";
    private const string Sent = "sent ";
    // The child's own PUBACK wait and exit come on top of the plan's drain.
    private static readonly TimeSpan SettleMargin = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _timingsFile;
    private readonly TimeSpan _drain;
    private readonly Queue<string> _stderrTail = new();

    private AgentsProcess(Process process, string timingsFile, TimeSpan drain, int nice)
    {
        _process = process;
        _timingsFile = timingsFile;
        _drain = drain;
        Nice = nice;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(e.Data);
                if (_stderrTail.Count > 20) _stderrTail.Dequeue();
            }
        };
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;
    /// <summary>The niceness added to the child's (0 where `nice` is not available).</summary>
    public int Nice { get; }

    /// <summary>Starts the child with <paramref name="plan"/> and returns once its agents are connected.</summary>
    public static async Task<AgentsProcess> StartAsync(AgentsPlan plan, string directory, int nice, CancellationToken ct)
    {
        var planFile = Path.Combine(directory, "agents-plan.json");
        var timingsFile = Path.Combine(directory, "agents-timings.json");
        await using (var file = File.Create(planFile)) await JsonSerializer.SerializeAsync(file, plan, TunnelJson.Options, ct);

        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // The agents stand for other machines: a thread-pool setting given to the service's process for one run is not theirs.
        start.Environment.Remove("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit");
        var niced = !OperatingSystem.IsWindows() && nice > 0;
        // nice rather than setpriority from inside: Linux keeps a niceness per thread, and the runtime's
        // own threads (GC, JIT, thread pool) exist before any code of ours could lower them.
        start.FileName = niced ? "nice" : DotnetHost();
        if (niced)
        {
            foreach (var a in (string[])["-n", nice.ToString(CultureInfo.InvariantCulture), DotnetHost()]) start.ArgumentList.Add(a);
        }
        foreach (var a in (string[])[typeof(AgentsProcess).Assembly.Location, "bench", Verb, "--plan", planFile, "--timings", timingsFile])
            start.ArgumentList.Add(a);

        var child = new AgentsProcess(Process.Start(start) ?? throw new InvalidOperationException("the agents' process did not start"),
            timingsFile, plan.Drain, niced ? nice : 0);
        try
        {
            await child.ExpectAsync(Ready, ct);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
        return child;
    }

    public async Task<long> SendAsync(long start, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync(start.ToString(CultureInfo.InvariantCulture).AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        var line = await ExpectAsync(Sent, ct);
        return long.Parse(line.AsSpan(Sent.Length), CultureInfo.InvariantCulture);
    }

    public async Task<AgentsTimings> SettleAsync(CancellationToken ct)
    {
        try { await _process.WaitForExitAsync(ct).WaitAsync(_drain + SettleMargin, ct); }
        catch (TimeoutException) { throw Failed($"did not finish within {(_drain + SettleMargin).TotalSeconds:0} s of its last send"); }
        if (_process.ExitCode != 0) throw Failed($"ended with exit code {_process.ExitCode}");
        await using var file = File.OpenRead(_timingsFile);
        return await JsonSerializer.DeserializeAsync<AgentsTimings>(file, TunnelJson.Options, ct)
               ?? throw Failed("left empty timings");
    }

    /// <summary>Reads the child's stdout up to the line starting with <paramref name="prefix"/>.</summary>
    private async Task<string> ExpectAsync(string prefix, CancellationToken ct)
    {
        while (await _process.StandardOutput.ReadLineAsync(ct) is { } line)
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
        await _process.WaitForExitAsync(ct);
        throw Failed($"ended with exit code {_process.ExitCode} before saying '{prefix.Trim()}'");
    }

    private InvalidOperationException Failed(string what)
    {
        string tail;
        lock (_stderrTail) tail = string.Join(Environment.NewLine, _stderrTail);
        return new InvalidOperationException($"the agents' process (pid {_process.Id}) {what}" + (tail.Length > 0 ? $":{Environment.NewLine}{tail}" : ""));
    }

    /// <summary>Ends the child if it is still running (a failed or cancelled run): it must never outlive the bench.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException) { /* it exited meanwhile */ }
        finally { _process.Dispose(); }
    }

    /// <summary>The dotnet host running this program, so the child runs the same runtime.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    /// <summary>The child's side (`tunnel bench agents --plan FILE --timings FILE`).</summary>
    public static async Task<int> RunChildAsync(string planFile, string timingsFile, TextReader input, TextWriter output, CancellationToken ct)
    {
        AgentsPlan plan;
        await using (var file = File.OpenRead(planFile))
            plan = await JsonSerializer.DeserializeAsync<AgentsPlan>(file, TunnelJson.Options, ct) ?? throw new InvalidDataException($"{planFile} holds no plan");
        await using var agents = await SimulatedAgents.ConnectAsync(plan, ct);
        await output.WriteLineAsync(Ready);
        await output.FlushAsync(ct);

        var line = await input.ReadLineAsync(ct) ?? throw new OperationCanceledException("the bench closed stdin before the start");
        var start = long.Parse(line, CultureInfo.InvariantCulture);
        using var parentGone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _ = Task.Run(async () =>
        {
            while (await input.ReadLineAsync(CancellationToken.None) is not null) { }
            await parentGone.CancelAsync();
        }, CancellationToken.None);

        var sendEnd = await agents.SendAsync(start, parentGone.Token);
        await output.WriteLineAsync(Sent + sendEnd.ToString(CultureInfo.InvariantCulture));
        await output.FlushAsync(ct);
        var timings = await agents.SettleAsync(parentGone.Token);
        await using (var file = File.Create(timingsFile)) await JsonSerializer.SerializeAsync(file, timings, TunnelJson.Options, ct);
        return 0;
    }
}
