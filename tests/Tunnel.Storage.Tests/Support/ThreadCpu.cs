using System.Runtime.InteropServices;

namespace Tunnel.Storage.Tests;

/// <summary>
/// CPU time of the calling thread. The machine is shared, so wall time alone says little; SQLite
/// works on the caller's thread, so this captures its cost too (but not time waiting for fsync).
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    public static TimeSpan Now()
    {
        if (clock_gettime(ClockThreadCpuTime, out var ts) != 0) throw new InvalidOperationException("clock_gettime failed");
        return TimeSpan.FromSeconds(ts.Seconds) + TimeSpan.FromTicks(ts.Nanoseconds / 100);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clock, out Timespec ts);
}
