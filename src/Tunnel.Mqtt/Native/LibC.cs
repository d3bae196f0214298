using System.Runtime.InteropServices;

namespace Tunnel.Mqtt.Native;

internal static partial class LibC
{
    public const int SigHup = 1;
    public const int SigTerm = 15;
    public const int ShutdownReadWrite = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int socket, int how);
}
