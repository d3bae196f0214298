using System.Runtime.InteropServices;

namespace Tunnel.Mqtt.Native;

/// <summary>
/// Loads libmosquitto once per process, turns a missing library into one actionable message,
/// and calls <c>mosquitto_lib_init</c> exactly once (it is not thread safe).
/// </summary>
internal static class MosquittoRuntime
{
    private static readonly Lazy<nint> Library = new(() => LoadOrExplain(LibMosquitto.LibraryName), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<int> Init = new(InitialiseLibrary, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureInitialised() => _ = Init.Value;

    internal static nint LoadOrExplain(string libraryName)
    {
        if (NativeLibrary.TryLoad(libraryName, out var handle))
        {
            return handle;
        }

        throw new DllNotFoundException(
            $"The MQTT client library {libraryName} (libmosquitto, MQTT 5) was not found. " +
            "Install it with: apt-get install libmosquitto1");
    }

    private static int InitialiseLibrary()
    {
        var handle = Library.Value;
        // Route every LibraryImport of this assembly to the handle already loaded, so that a missing
        // library is reported once, above, rather than as a bare DllNotFoundException later.
        NativeLibrary.SetDllImportResolver(typeof(MosquittoRuntime).Assembly,
            (name, _, _) => name == LibMosquitto.LibraryName ? handle : nint.Zero);
        LibMosquitto.LibVersion(out var major, out _, out _);
        if (major < 2)
        {
            throw new DllNotFoundException(
                $"{LibMosquitto.LibraryName} is version {major}.x; MQTT 5 needs libmosquitto 2.0 or later (apt-get install libmosquitto1).");
        }

        return LibMosquitto.LibInit();
    }

    /// <param name="errno">The C errno captured right after the failing call, when there is one.</param>
    public static string ErrorText(int errorCode, int? errno = null)
    {
        var text = (Marshal.PtrToStringUTF8(LibMosquitto.StrError(errorCode)) ?? "unknown error").TrimEnd('.');
        if (errorCode == LibMosquitto.ErrErrno && errno is { } systemError)
        {
            // MOSQ_ERR_ERRNO only says "look at errno"; the real cause (e.g. connection refused) is there.
            text = $"{text}: {Marshal.GetPInvokeErrorMessage(systemError)}";
        }

        if (errorCode == LibMosquitto.ErrOversizePacket)
        {
            text += " (the broker announced its max_packet_size; send large data another way or raise the limit)";
        }

        return text;
    }

    public static string ReasonText(int reasonCode) =>
        Marshal.PtrToStringUTF8(LibMosquitto.ReasonString(reasonCode)) ?? "unknown reason";
}
