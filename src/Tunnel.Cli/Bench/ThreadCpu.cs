using System.Globalization;

namespace Tunnel.Cli.Bench;

/// <summary>
/// CPU time each thread of a process has used and the time it spent runnable but waiting for a CPU
/// (Linux /proc/PID/task/TID/schedstat). On a shared two-core machine a latency tail is mostly the
/// second number: this says which threads of which process waited, and for how long.
/// </summary>
public sealed class ThreadCpu
{
    private readonly Dictionary<int, (string Name, long CpuNs, long WaitNs)> _threads;
    // Per thread: context switches it asked for (blocking, yielding) and ones forced on it (preempted).
    private readonly Dictionary<int, (long Voluntary, long Involuntary)> _switches;

    private ThreadCpu(Dictionary<int, (string, long, long)> threads, Dictionary<int, (long, long)> switches) =>
        (_threads, _switches) = (threads, switches);

    /// <summary>The process's threads now; empty where /proc or schedstat is not there.</summary>
    public static ThreadCpu Read(int pid)
    {
        var threads = new Dictionary<int, (string, long, long)>();
        var switches = new Dictionary<int, (long, long)>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                    threads[tid] = (File.ReadAllText(Path.Combine(task, "comm")).Trim(),
                        long.Parse(stat[0], CultureInfo.InvariantCulture), long.Parse(stat[1], CultureInfo.InvariantCulture));
                    long voluntary = 0, involuntary = 0;
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                            voluntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                        else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            involuntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                    switches[tid] = (voluntary, involuntary);
                }
                catch (IOException) { /* the thread ended meanwhile */ }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new ThreadCpu(threads, switches);
    }

    /// <summary>Per thread name, context switches since <paramref name="before"/>, most first.</summary>
    public IReadOnlyList<(string Name, long Switches)> SwitchesByName(ThreadCpu before) =>
        _switches.Where(t => _threads.ContainsKey(t.Key))
            .Select(t => (Name: _threads[t.Key].Name, Switches: t.Value.Voluntary + t.Value.Involuntary
                - (before._switches.TryGetValue(t.Key, out var b) ? b.Voluntary + b.Involuntary : 0)))
            .GroupBy(t => t.Name).Select(g => (g.Key, g.Sum(t => t.Switches))).OrderByDescending(g => g.Item2).ToList();

    /// <summary>Context switches of the process's threads since <paramref name="before"/> (threads started meanwhile count whole).</summary>
    public (long Voluntary, long Involuntary) SwitchesSince(ThreadCpu before)
    {
        long voluntary = 0, involuntary = 0;
        foreach (var (tid, now) in _switches)
        {
            var then = before._switches.GetValueOrDefault(tid);
            voluntary += now.Voluntary - then.Voluntary;
            involuntary += now.Involuntary - then.Involuntary;
        }
        return (voluntary, involuntary);
    }

    /// <summary>Per thread name (the runtime names its pools: ".NET TP Worker", ".NET Tiered Com"...), what was used and waited since <paramref name="before"/>.</summary>
    public IReadOnlyList<(string Name, TimeSpan Cpu, TimeSpan Waited)> Since(ThreadCpu before) =>
        _threads.Select(t => before._threads.TryGetValue(t.Key, out var b) && b.Name == t.Value.Name
                ? (t.Value.Name, Cpu: t.Value.CpuNs - b.CpuNs, Wait: t.Value.WaitNs - b.WaitNs)
                : (t.Value.Name, Cpu: t.Value.CpuNs, Wait: t.Value.WaitNs))
            .GroupBy(t => t.Name)
            .Select(g => (g.Key, TimeSpan.FromTicks(g.Sum(t => t.Cpu) / 100), TimeSpan.FromTicks(g.Sum(t => t.Wait) / 100)))
            .OrderByDescending(g => g.Item2 + g.Item3)
            .ToList();

    /// <summary>"used X s, waited Y s for a CPU (name used/waited, ...)" for the busiest thread names.</summary>
    public static string Describe(IReadOnlyList<(string Name, TimeSpan Cpu, TimeSpan Waited)> since, int top = 5)
    {
        if (since.Count == 0) return "n/a";
        var cpu = since.Sum(t => t.Cpu.TotalSeconds);
        var waited = since.Sum(t => t.Waited.TotalSeconds);
        var parts = since.Take(top).Select(t => $"{t.Name} {t.Cpu.TotalSeconds:0.00}/{t.Waited.TotalSeconds:0.00}");
        return $"used {cpu:0.00} CPU-s, waited {waited:0.00} s for a CPU ({string.Join(", ", parts)})";
    }
}
