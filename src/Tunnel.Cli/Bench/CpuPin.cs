using System.Runtime.InteropServices;

namespace Tunnel.Cli.Bench;

/// <summary>
/// Runs a measurement on a thread of its own pinned to one CPU, so "passages/s on one core" means
/// one core. Only that thread is pinned (sched_setaffinity with pid 0 affects the calling thread),
/// not the process: the broker and the service of the latency bench keep both cores. The GC's
/// background thread is not pinned either; the engine loop itself is single-threaded.
/// </summary>
public static partial class CpuPin
{
    public static (T Result, bool Pinned) Run<T>(int cpu, Func<T> work)
    {
        T result = default!;
        var pinned = false;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            pinned = TryPinCurrentThread(cpu);
            try { result = work(); }
            catch (Exception e) { failure = e; }
        }, maxStackSize: 16 * 1024 * 1024) { Name = "bench-pinned", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("pinned measurement failed", failure);
        return (result, pinned);
    }

    private static bool TryPinCurrentThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu is < 0 or > 63) return false;
        try
        {
            var mask = 1UL << cpu;
            return SchedSetAffinity(0, (nint)sizeof(ulong), ref mask) == 0;
        }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    /// <summary>
    /// CPU time the calling thread has used, or null where it cannot be read. On a shared machine
    /// wall time measures the neighbours too; the thread's own CPU time does not.
    /// </summary>
    public static TimeSpan? CurrentThreadCpuTime()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return ClockGetTime(ClockThreadCpuTime, out var ts) == 0 ? TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100) : null;
        }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
    }

    private const int ClockThreadCpuTime = 3;

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec ts);

    // DllImport rather than LibraryImport: a by-ref blittable argument through the source generator
    // needs unsafe code, which this project does not enable for one call.
    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SchedSetAffinity(int pid, nint cpuSetSize, ref ulong mask);
}
