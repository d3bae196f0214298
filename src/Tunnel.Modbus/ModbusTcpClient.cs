using System.Buffers.Binary;
using System.Net.Sockets;

namespace Tunnel.Modbus;

/// <summary>
/// A Modbus TCP client for one device: the few functions alarm towers and IO modules need (read and write
/// coils, read and write holding registers), one request at a time. A request that gets no well-framed answer
/// (refused, timed out, cut off, garbled) closes the connection, and the next request opens a new one: after a
/// timeout a late answer could otherwise be taken for the next request's. The device's own Modbus exception leaves it
/// open: the stream is still in step.
/// </summary>
/// <remarks>NModbus and FluentModbus are not obtainable here; the protocol is small (MBAP header and PDU).</remarks>
public sealed class ModbusTcpClient(string host, int port = ModbusTcpClient.DefaultPort, TimeSpan? timeout = null) : IAsyncDisposable
{
    public const int DefaultPort = 502;
    /// <summary>The largest PDU the protocol allows (an ADU of 260 bytes less the 7-byte header).</summary>
    private const int MaxPdu = 253;

    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TcpClient? _tcp;
    private NetworkStream? _stream;
    private ushort _transaction;

    public string Endpoint => $"{host}:{port}";
    public bool IsConnected => _stream is not null;

    /// <summary>Function 5: switches one coil on or off.</summary>
    public async Task WriteCoilAsync(byte unit, ushort address, bool on, CancellationToken ct = default)
    {
        var pdu = new byte[5];
        pdu[0] = 5;
        BinaryPrimitives.WriteUInt16BigEndian(pdu.AsSpan(1), address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu.AsSpan(3), on ? (ushort)0xFF00 : (ushort)0);
        ExpectEcho(pdu, await RequestAsync(unit, pdu, ct));
    }

    /// <summary>Function 6: writes one holding register.</summary>
    public async Task WriteRegisterAsync(byte unit, ushort address, ushort value, CancellationToken ct = default)
    {
        var pdu = new byte[5];
        pdu[0] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(pdu.AsSpan(1), address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu.AsSpan(3), value);
        ExpectEcho(pdu, await RequestAsync(unit, pdu, ct));
    }

    /// <summary>Function 1: reads <paramref name="count"/> coils (1 to 2,000).</summary>
    public async Task<bool[]> ReadCoilsAsync(byte unit, ushort start, ushort count, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, (ushort)2000);
        var answer = await RequestAsync(unit, ReadRequest(1, start, count), ct);
        var bytes = (count + 7) / 8;
        if (answer.Length != 2 + bytes || answer[1] != bytes) throw Malformed($"read coils answered {answer.Length} bytes for {count} coils");
        var coils = new bool[count];
        for (var i = 0; i < count; i++) coils[i] = (answer[2 + i / 8] & (1 << (i % 8))) != 0;
        return coils;
    }

    /// <summary>Function 3: reads <paramref name="count"/> holding registers (1 to 125).</summary>
    public async Task<ushort[]> ReadRegistersAsync(byte unit, ushort start, ushort count, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, (ushort)125);
        var answer = await RequestAsync(unit, ReadRequest(3, start, count), ct);
        if (answer.Length != 2 + 2 * count || answer[1] != 2 * count) throw Malformed($"read registers answered {answer.Length} bytes for {count} registers");
        var registers = new ushort[count];
        for (var i = 0; i < count; i++) registers[i] = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(2 + 2 * i));
        return registers;
    }

    private static byte[] ReadRequest(byte function, ushort start, ushort count)
    {
        var pdu = new byte[5];
        pdu[0] = function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu.AsSpan(1), start);
        BinaryPrimitives.WriteUInt16BigEndian(pdu.AsSpan(3), count);
        return pdu;
    }

    private void ExpectEcho(byte[] request, byte[] answer)
    {
        if (!answer.AsSpan().SequenceEqual(request)) throw Malformed($"function {request[0]} was not echoed");
    }

    /// <summary>Sends one PDU and returns the device's answer PDU; throws <see cref="ModbusException"/> for anything else.</summary>
    private async Task<byte[]> RequestAsync(byte unit, byte[] pdu, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(_timeout);
            try
            {
                var stream = _stream ?? await ConnectAsync(deadline.Token);
                var id = ++_transaction;
                var request = new byte[7 + pdu.Length];
                BinaryPrimitives.WriteUInt16BigEndian(request, id);
                BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), (ushort)(pdu.Length + 1));
                request[6] = unit;
                pdu.CopyTo(request, 7);
                await stream.WriteAsync(request, deadline.Token);

                var header = new byte[7];
                await stream.ReadExactlyAsync(header, deadline.Token);
                var length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
                if (BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)) != 0) throw Malformed("protocol identifier is not 0");
                if (length < 3 || length > MaxPdu + 1) throw Malformed($"length {length} outside 3..{MaxPdu + 1}");
                var answer = new byte[length - 1];
                await stream.ReadExactlyAsync(answer, deadline.Token);
                if (BinaryPrimitives.ReadUInt16BigEndian(header) != id) throw Malformed($"transaction {BinaryPrimitives.ReadUInt16BigEndian(header)} answered, {id} asked");
                if (header[6] != unit) throw Malformed($"unit {header[6]} answered, {unit} asked");
                if (answer[0] == (pdu[0] | 0x80))
                    throw new ModbusException($"{Endpoint} unit {unit} refused function {pdu[0]}: {ModbusException.Describe(answer[1])} ({answer[1]})", answer[1]);
                if (answer[0] != pdu[0]) throw Malformed($"function {answer[0]} answered, {pdu[0]} asked");
                return answer;
            }
            catch (ModbusException e) when (e.ExceptionCode is not null) { throw; }
            catch (Exception e)
            {
                Close();
                if (ct.IsCancellationRequested) throw new OperationCanceledException($"{Endpoint}: request abandoned", e, ct);
                if (e is ModbusException) throw;
                throw new ModbusException(e is OperationCanceledException
                    ? $"{Endpoint}: no answer within {_timeout.TotalSeconds:0.#} s"
                    : $"{Endpoint}: {e.Message}", inner: e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<NetworkStream> ConnectAsync(CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, ct);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        _tcp = tcp;
        return _stream = tcp.GetStream();
    }

    private ModbusException Malformed(string what) => new($"{Endpoint}: malformed answer: {what}");

    private void Close()
    {
        _stream?.Dispose();
        _tcp?.Dispose();
        (_stream, _tcp) = (null, null);
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try { Close(); }
        finally { _gate.Release(); }
    }
}
