namespace Tunnel.Modbus;

/// <summary>
/// A Modbus request failed. <see cref="ExceptionCode"/> is set when the device answered with a Modbus
/// exception (2 "illegal data address", 4 "server device failure", ...); it is null when no valid answer
/// came at all (connection refused or lost, timeout, a malformed response).
/// </summary>
public sealed class ModbusException : Exception
{
    public ModbusException(string message, byte? exceptionCode = null, Exception? inner = null) : base(message, inner) =>
        ExceptionCode = exceptionCode;

    /// <summary>The exception code of the device's answer (Modbus Application Protocol v1.1b3, section 7).</summary>
    public byte? ExceptionCode { get; }

    internal static string Describe(byte code) => code switch
    {
        1 => "illegal function",
        2 => "illegal data address",
        3 => "illegal data value",
        4 => "server device failure",
        5 => "acknowledge",
        6 => "server device busy",
        8 => "memory parity error",
        10 => "gateway path unavailable",
        11 => "gateway target device failed to respond",
        _ => "unknown exception",
    };
}
