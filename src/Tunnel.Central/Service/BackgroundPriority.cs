using System.Runtime.InteropServices;

namespace Tunnel.Central.Service;

/// <summary>
/// Lets a background thread give way on the CPU to the threads that decide passages. The store
/// writer's commits (SQLite's page cache, the bookkeeping of a disk sync) are CPU work nobody waits
/// for by the millisecond; on a small machine they held the core that the MQTT network thread or the
/// broker was waiting for, and the passages in flight waited with them.
/// </summary>
internal static partial class BackgroundPriority
{
    /// <summary>
    /// The store writer's niceness: a tenth of a default thread's weight when both want the CPU, which
    /// still leaves it a steady share under full load (the kernel's fair scheduler starves nobody).
    /// </summary>
    public const int StoreWriterNice = 10;

    /// <summary>Sets the calling thread's nice value where the kernel schedules threads by it (Linux); false elsewhere or when refused.</summary>
    public static bool LowerCurrentThread(int nice)
    {
        if (!OperatingSystem.IsLinux()) return false;
        // On Linux every thread is a task with a nice value of its own, and setpriority on its id sets that one alone.
        return setpriority(PrioProcess, gettid(), nice) == 0;
    }

    private const int PrioProcess = 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}
