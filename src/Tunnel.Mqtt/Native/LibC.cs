using System.Runtime.InteropServices;

namespace Tunnel.Mqtt.Native;

internal static partial class LibC
{
    public const int SigHup = 1;
    public const int SigTerm = 15;
    public const int ShutdownReadWrite = 2;
    /// <summary>Linux's EPROTO: libmosquitto's errno for an OpenSSL failure on a read or write.</summary>
    public const int Eproto = 71;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int socket, int how);
}
