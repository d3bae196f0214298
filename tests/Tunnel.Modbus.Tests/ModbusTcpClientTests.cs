using System.Net;
using System.Net.Sockets;

namespace Tunnel.Modbus.Tests;

public sealed class ModbusTcpClientTests
{
    [Fact]
    public async Task Coils_written_one_at_a_time_reach_the_device_and_read_back()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        await using var client = new ModbusTcpClient("127.0.0.1", device.Port);

        await client.WriteCoilAsync(1, 2, true);
        await client.WriteCoilAsync(1, 9, true);
        await client.WriteCoilAsync(1, 2, false);

        // The answer can reach the test before the device's report of the write: wait for the report.
        await device.WaitUntilAsync(d => d.Writes.Count == 3, "three writes");
        Assert.Equal(["coil 2 1", "coil 9 1", "coil 2 0"], device.Writes);
        var coils = await client.ReadCoilsAsync(1, 0, 12);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i == 9), coils);
    }

    [Fact]
    public async Task A_holding_register_written_reaches_the_device_and_reads_back()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        await using var client = new ModbusTcpClient("127.0.0.1", device.Port);

        await client.WriteRegisterAsync(1, 3, 0xBEEF);

        await device.WaitUntilAsync(d => d.Register(3) == 0xBEEF, "register 3 written");
        Assert.Equal(new ushort[] { 0, 0xBEEF, 0 }, await client.ReadRegistersAsync(1, 2, 3));
    }

    [Fact]
    public async Task An_address_the_device_lacks_is_its_exception_and_the_connection_stays_usable()
    {
        await using var device = await ModbusTestDevice.StartAsync(size: 8);
        await using var client = new ModbusTcpClient("127.0.0.1", device.Port);

        var refused = await Assert.ThrowsAsync<ModbusException>(() => client.WriteCoilAsync(1, 40, true));

        Assert.Equal((byte)2, refused.ExceptionCode);
        Assert.Contains("illegal data address", refused.Message);
        Assert.True(client.IsConnected);
        await client.WriteCoilAsync(1, 1, true);
        await device.WaitUntilAsync(d => d.Coil(1), "coil 1 on");
    }

    [Fact]
    public async Task A_device_that_is_not_there_is_named_in_the_error()
    {
        var port = FreePort();
        await using var client = new ModbusTcpClient("127.0.0.1", port);

        var failed = await Assert.ThrowsAsync<ModbusException>(() => client.WriteCoilAsync(1, 0, true));

        Assert.Null(failed.ExceptionCode);
        Assert.Contains($"127.0.0.1:{port}", failed.Message);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task A_device_that_never_answers_times_out_and_the_connection_is_dropped()
    {
        // A listener that takes the connection and says nothing: the one thing a real server cannot be made to do.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var accepted = silent.AcceptTcpClientAsync();
        await using var client = new ModbusTcpClient("127.0.0.1", port, TimeSpan.FromMilliseconds(300));

        var failed = await Assert.ThrowsAsync<ModbusException>(() => client.WriteCoilAsync(1, 0, true));

        Assert.Contains("no answer within", failed.Message);
        Assert.False(client.IsConnected);
        (await accepted).Dispose();
    }

    [Fact]
    public async Task A_malformed_answer_is_rejected_and_the_next_request_opens_a_new_connection()
    {
        using var liar = new TcpListener(IPAddress.Loopback, 0);
        liar.Start();
        var port = ((IPEndPoint)liar.LocalEndpoint).Port;
        var answered = Task.Run(async () =>
        {
            using var first = await liar.AcceptTcpClientAsync();
            var stream = first.GetStream();
            var request = new byte[12];
            await stream.ReadExactlyAsync(request);
            // The right transaction, a protocol identifier that is not Modbus.
            await stream.WriteAsync(new byte[] { request[0], request[1], 0, 7, 0, 6, 1, 5, 0, 0, 0xFF, 0 });
            using var second = await liar.AcceptTcpClientAsync();
            return true;
        });
        await using var client = new ModbusTcpClient("127.0.0.1", port, TimeSpan.FromSeconds(5));

        var failed = await Assert.ThrowsAsync<ModbusException>(() => client.WriteCoilAsync(1, 0, true));
        Assert.Contains("protocol identifier", failed.Message);
        Assert.False(client.IsConnected);

        // The next request connects again instead of reading what was left on the old connection.
        await Assert.ThrowsAsync<ModbusException>(() => client.WriteCoilAsync(1, 0, true));
        Assert.True(await answered.WaitAsync(ModbusTestDevice.WaitLimit));
    }

    [Fact]
    public async Task After_the_device_restarts_the_client_connects_again()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        await using var client = new ModbusTcpClient("127.0.0.1", device.Port);
        await client.WriteCoilAsync(1, 0, true);

        await device.PowerCycleAsync();

        // The old connection is gone: one request may fail finding that out, the next connects anew.
        try { await client.WriteCoilAsync(1, 1, true); }
        catch (ModbusException e) { Assert.Null(e.ExceptionCode); await client.WriteCoilAsync(1, 1, true); }
        await device.WaitUntilAsync(d => d.Coil(1), "coil 1 on");
        Assert.False(device.Coil(0));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
