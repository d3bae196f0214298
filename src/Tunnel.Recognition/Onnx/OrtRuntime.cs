using System.Runtime.InteropServices;

namespace Tunnel.Recognition.Onnx;

/// <summary>ONNX Runtime failed (bad model file, wrong input, missing library); the message carries ORT's own.</summary>
public sealed class OnnxRuntimeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// ONNX Runtime's C API, reached through the one exported symbol (OrtGetApiBase) and its table of
/// function pointers. Only the entries the project calls are bound. Slot numbers are the positions in
/// struct OrtApi; the first 102 are frozen by ORT ("DO NOT MODIFY ABOVE"), which is why they are safe
/// to hard-code across ORT versions.
/// </summary>
internal static unsafe class OrtRuntime
{
    public const string LibraryFile = "libonnxruntime.so.1";
    // Any API version up to the library's own is accepted; 17 (ORT 1.17) has everything used here.
    private const uint ApiVersion = 17;

    private static readonly Lazy<Table> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static Table Api => Loaded.Value;

    internal static string Version => Api.Version;

    internal sealed class Table
    {
        public string Version = "?";
        public nint Env;
        public nint CpuMemoryInfo;
        public nint DefaultAllocator;

        public delegate* unmanaged<nint, int> GetErrorCode;
        public delegate* unmanaged<nint, nint> GetErrorMessage;
        public delegate* unmanaged<int, byte*, nint*, nint> CreateEnv;
        public delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession;
        public delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
        public delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
        public delegate* unmanaged<nint*, nint> CreateSessionOptions;
        public delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;
        public delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
        public delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
        public delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
        public delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
        public delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
        public delegate* unmanaged<nint, nuint, nint, nint*, nint> SessionGetInputName;
        public delegate* unmanaged<nint, nuint, nint, nint*, nint> SessionGetOutputName;
        public delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
        public delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
        public delegate* unmanaged<nint, int*, nint> GetTensorElementType;
        public delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
        public delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
        public delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
        public delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
        public delegate* unmanaged<nint, void*, nint> AllocatorFree;
        public delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
        public delegate* unmanaged<nint, void> ReleaseEnv;
        public delegate* unmanaged<nint, void> ReleaseStatus;
        public delegate* unmanaged<nint, void> ReleaseMemoryInfo;
        public delegate* unmanaged<nint, void> ReleaseSession;
        public delegate* unmanaged<nint, void> ReleaseValue;
        public delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
        public delegate* unmanaged<nint, void> ReleaseSessionOptions;

        /// <summary>Turns a non-null OrtStatus into an exception (and frees it).</summary>
        public void Check(nint status, string what)
        {
            if (status == 0) return;
            var code = GetErrorCode(status);
            var message = Marshal.PtrToStringUTF8(GetErrorMessage(status)) ?? "?";
            ReleaseStatus(status);
            throw new OnnxRuntimeException($"ONNX Runtime {what} failed (code {code}): {message}");
        }
    }

    /// <summary>Where the library is looked for: $TUNNEL_ONNXRUNTIME, then next to this assembly.</summary>
    internal static string LibraryPath =>
        Environment.GetEnvironmentVariable("TUNNEL_ONNXRUNTIME") is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, LibraryFile);

    private static Table Load()
    {
        var path = LibraryPath;
        if (!File.Exists(path))
            throw new OnnxRuntimeException($"{LibraryFile} not found at {path}. Run models/restore.sh (or `dotnet build`, which runs it) to restore onnxruntime-node@1.30.0's copy.");
        nint lib;
        try
        {
            lib = NativeLibrary.Load(path);
        }
        catch (Exception e)
        {
            throw new OnnxRuntimeException($"cannot load {path}: {e.Message}", e);
        }
        var getApiBase = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "OrtGetApiBase");
        var apiBase = (nint*)getApiBase();
        var getApi = (delegate* unmanaged<uint, nint*>)apiBase[0];
        var getVersion = (delegate* unmanaged<nint>)apiBase[1];
        var version = Marshal.PtrToStringUTF8(getVersion()) ?? "?";
        var f = getApi(ApiVersion);
        if (f == null) throw new OnnxRuntimeException($"{path} (version {version}) does not offer C API version {ApiVersion}");

        nint env = 0, memoryInfo = 0, allocator = 0;
        var t = new Table
        {
            Version = version,
            GetErrorCode = (delegate* unmanaged<nint, int>)f[1],
            GetErrorMessage = (delegate* unmanaged<nint, nint>)f[2],
            CreateEnv = (delegate* unmanaged<int, byte*, nint*, nint>)f[3],
            CreateSession = (delegate* unmanaged<nint, byte*, nint, nint*, nint>)f[7],
            CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)f[8],
            Run = (delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)f[9],
            CreateSessionOptions = (delegate* unmanaged<nint*, nint>)f[10],
            SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)f[13],
            SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)f[23],
            SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)f[24],
            SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)f[25],
            SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)f[30],
            SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)f[31],
            SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, nint*, nint>)f[36],
            SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, nint*, nint>)f[37],
            CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)f[49],
            GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)f[51],
            GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)f[60],
            GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)f[61],
            GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)f[62],
            GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)f[65],
            CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)f[69],
            AllocatorFree = (delegate* unmanaged<nint, void*, nint>)f[76],
            GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)f[78],
            ReleaseEnv = (delegate* unmanaged<nint, void>)f[92],
            ReleaseStatus = (delegate* unmanaged<nint, void>)f[93],
            ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)f[94],
            ReleaseSession = (delegate* unmanaged<nint, void>)f[95],
            ReleaseValue = (delegate* unmanaged<nint, void>)f[96],
            ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)f[99],
            ReleaseSessionOptions = (delegate* unmanaged<nint, void>)f[100],
        };
        // One process-wide environment, never released: ORT requires it to outlive every session, and
        // sessions may be finalized in any order at shutdown.
        var logId = "tunnel"u8;
        fixed (byte* id = logId)
        {
            var idz = stackalloc byte[logId.Length + 1];
            new ReadOnlySpan<byte>(id, logId.Length).CopyTo(new Span<byte>(idz, logId.Length));
            idz[logId.Length] = 0;
            t.Check(t.CreateEnv(3 /* ORT_LOGGING_LEVEL_ERROR */, idz, &env), "CreateEnv");
        }
        t.Check(t.CreateCpuMemoryInfo(1 /* OrtArenaAllocator */, 0 /* OrtMemTypeDefault */, &memoryInfo), "CreateCpuMemoryInfo");
        t.Check(t.GetAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions");
        t.Env = env;
        t.CpuMemoryInfo = memoryInfo;
        t.DefaultAllocator = allocator;
        return t;
    }
}
