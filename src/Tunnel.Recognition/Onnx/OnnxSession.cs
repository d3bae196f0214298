using System.Runtime.InteropServices;
using System.Text;

namespace Tunnel.Recognition.Onnx;

/// <summary>A float tensor produced by ONNX Runtime; its memory is ORT's and is freed on Dispose.</summary>
public sealed unsafe class OnnxTensor : SafeHandle
{
    private readonly float* _data;

    internal OnnxTensor(nint value) : base(nint.Zero, ownsHandle: true)
    {
        SetHandle(value);
        try
        {
            (Shape, Length, var data) = Describe(value);
            _data = (float*)data;
        }
        catch
        {
            // The caller still owns the value when construction fails; this handle must not free it too.
            SetHandleAsInvalid();
            throw;
        }
    }

    private static (long[] Shape, int Length, nint Data) Describe(nint value)
    {
        var api = OrtRuntime.Api;
        long[] shape;
        nint info = 0;
        api.Check(api.GetTensorTypeAndShape(value, &info), "GetTensorTypeAndShape");
        try
        {
            int type;
            api.Check(api.GetTensorElementType(info, &type), "GetTensorElementType");
            if (type != 1 /* FLOAT */) throw new OnnxRuntimeException($"output element type {type} is not float");
            nuint rank;
            api.Check(api.GetDimensionsCount(info, &rank), "GetDimensionsCount");
            var dims = new long[(int)rank];
            fixed (long* d = dims) api.Check(api.GetDimensions(info, d, rank), "GetDimensions");
            shape = dims;
        }
        finally
        {
            api.ReleaseTensorTypeAndShapeInfo(info);
        }
        void* data;
        api.Check(api.GetTensorMutableData(value, &data), "GetTensorMutableData");
        long count = 1;
        foreach (var d in shape) count *= d;
        return (shape, checked((int)count), (nint)data);
    }

    public IReadOnlyList<long> Shape { get; }
    public int Length { get; }

    /// <summary>The values, valid until Dispose.</summary>
    public ReadOnlySpan<float> Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return new ReadOnlySpan<float>(_data, Length);
        }
    }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        OrtRuntime.Api.ReleaseValue(handle);
        return true;
    }
}

/// <summary>
/// One loaded ONNX model (single float input, single float output: all the PaddleOCR models are).
/// Load once and reuse: loading costs tens of milliseconds, a run a few. <see cref="Run"/> may be called from several threads.
/// </summary>
public sealed unsafe class OnnxSession : SafeHandle
{
    private readonly byte[][] _inputNames;
    private readonly byte[][] _outputNames;

    private OnnxSession(nint session, byte[][] inputs, byte[][] outputs) : base(nint.Zero, ownsHandle: true)
    {
        SetHandle(session);
        _inputNames = inputs;
        _outputNames = outputs;
    }

    /// <summary>Version of the loaded ONNX Runtime library (e.g. "1.30.0").</summary>
    public static string RuntimeVersion => OrtRuntime.Version;

    public IReadOnlyList<string> InputNames => _inputNames.Select(n => Encoding.UTF8.GetString(n, 0, n.Length - 1)).ToArray();
    public IReadOnlyList<string> OutputNames => _outputNames.Select(n => Encoding.UTF8.GetString(n, 0, n.Length - 1)).ToArray();

    /// <param name="modelPath">.onnx file</param>
    /// <param name="intraOpThreads">threads inside one operator; 1 gives the one-core figures and leaves the other core to the rest of the agent</param>
    public static OnnxSession Load(string modelPath, int intraOpThreads = 1)
    {
        if (!File.Exists(modelPath)) throw new OnnxRuntimeException($"model file not found: {modelPath}");
        var api = OrtRuntime.Api;
        nint options = 0, session = 0;
        api.Check(api.CreateSessionOptions(&options), "CreateSessionOptions");
        try
        {
            api.Check(api.SetIntraOpNumThreads(options, intraOpThreads), "SetIntraOpNumThreads");
            api.Check(api.SetInterOpNumThreads(options, 1), "SetInterOpNumThreads");
            api.Check(api.SetSessionExecutionMode(options, 0 /* ORT_SEQUENTIAL */), "SetSessionExecutionMode");
            api.Check(api.SetSessionGraphOptimizationLevel(options, 99 /* ORT_ENABLE_ALL */), "SetSessionGraphOptimizationLevel");
            var path = Encoding.UTF8.GetBytes(modelPath + "\0");
            fixed (byte* p = path)
            {
                try
                {
                    api.Check(api.CreateSession(api.Env, p, options, &session), "CreateSession");
                }
                catch (OnnxRuntimeException e)
                {
                    throw new OnnxRuntimeException($"cannot load model {modelPath}: {e.Message}", e);
                }
            }
        }
        finally
        {
            api.ReleaseSessionOptions(options);
        }
        try
        {
            nuint inputs, outputs;
            api.Check(api.SessionGetInputCount(session, &inputs), "SessionGetInputCount");
            api.Check(api.SessionGetOutputCount(session, &outputs), "SessionGetOutputCount");
            var inNames = new byte[(int)inputs][];
            var outNames = new byte[(int)outputs][];
            for (nuint i = 0; i < inputs; i++) inNames[(int)i] = Name(api, api.SessionGetInputName, session, i);
            for (nuint i = 0; i < outputs; i++) outNames[(int)i] = Name(api, api.SessionGetOutputName, session, i);
            return new OnnxSession(session, inNames, outNames);
        }
        catch
        {
            api.ReleaseSession(session);
            throw;
        }
    }

    private static byte[] Name(OrtRuntime.Table api, delegate* unmanaged<nint, nuint, nint, nint*, nint> getter, nint session, nuint index)
    {
        nint name = 0;
        api.Check(getter(session, index, api.DefaultAllocator, &name), "SessionGet*Name");
        try
        {
            var s = Marshal.PtrToStringUTF8(name) ?? "";
            return Encoding.UTF8.GetBytes(s + "\0");
        }
        finally
        {
            api.Check(api.AllocatorFree(api.DefaultAllocator, (void*)name), "AllocatorFree");
        }
    }

    /// <summary>Runs the model on one float tensor of <paramref name="shape"/>; returns its first output.</summary>
    public OnnxTensor Run(ReadOnlySpan<float> input, ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape) count *= d;
        if (count != input.Length) throw new ArgumentException($"input has {input.Length} values, shape needs {count}");
        var api = OrtRuntime.Api;
        var added = false;
        DangerousAddRef(ref added);
        nint inValue = 0, outValue = 0;
        try
        {
            fixed (float* data = input)
            fixed (long* s = shape)
            fixed (byte* inName = _inputNames[0])
            fixed (byte* outName = _outputNames[0])
            {
                api.Check(api.CreateTensorWithDataAsOrtValue(api.CpuMemoryInfo, data, (nuint)(input.Length * sizeof(float)), s,
                    (nuint)shape.Length, 1 /* FLOAT */, &inValue), "CreateTensorWithDataAsOrtValue");
                var inNames = stackalloc nint[1] { (nint)inName };
                var outNames = stackalloc nint[1] { (nint)outName };
                var inValues = stackalloc nint[1] { inValue };
                api.Check(api.Run(handle, 0, inNames, inValues, 1, outNames, 1, &outValue), "Run");
            }
            return new OnnxTensor(outValue);
        }
        catch
        {
            if (outValue != 0) api.ReleaseValue(outValue);
            throw;
        }
        finally
        {
            if (inValue != 0) api.ReleaseValue(inValue);
            if (added) DangerousRelease();
        }
    }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        OrtRuntime.Api.ReleaseSession(handle);
        return true;
    }
}
