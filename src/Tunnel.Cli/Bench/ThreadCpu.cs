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

    private ThreadCpu(Dictionary<int, (string, long, long)> threads) => _threads = threads;

    /// <summary>The process's threads now; empty where /proc or schedstat is not there.</summary>
    public static ThreadCpu Read(int pid)
    {
        var threads = new Dictionary<int, (string, long, long)>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (File.ReadAllText(Path.Combine(task, "comm")).Trim(),
                        long.Parse(stat[0], CultureInfo.InvariantCulture), long.Parse(stat[1], CultureInfo.InvariantCulture));
                }
                catch (IOException) { /* the thread ended meanwhile */ }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new ThreadCpu(threads);
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
