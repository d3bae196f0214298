using System.Diagnostics;

namespace Tunnel.Modbus.Tests;

/// <summary>
/// A real Modbus TCP device for tests: Debian's pymodbus server (<c>hardware/modbus-device.py</c>) in a process of its
/// own, whose coils and registers the test follows through the writes the server reports on its output.
/// </summary>
public sealed class ModbusTestDevice : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);
    private const string Python = "/usr/bin/python3";

    private readonly object _lock = new();
    private readonly int _size;
    private readonly bool[] _coils;
    private readonly ushort[] _registers;
    private readonly List<string> _writes = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    // Each launch's reader reports under its own generation: lines of a killed process still in its pipe are not the new one's.
    private int _generation;

    private ModbusTestDevice(int size)
    {
        _size = size;
        _coils = new bool[size];
        _registers = new ushort[size];
    }

    public int Port { get; private set; }

    /// <summary>Why the tests cannot run here, or null: the server needs Debian's python3-pymodbus.</summary>
    public static string? Missing() =>
        File.Exists(Python) && Directory.Exists("/usr/lib/python3/dist-packages/pymodbus")
            ? null
            : "python3-pymodbus is not installed (scripts/setup.sh installs it)";

    public static async Task<ModbusTestDevice> StartAsync(int size = 16, int port = 0)
    {
        if (Missing() is { } why) throw new InvalidOperationException(why);
        var device = new ModbusTestDevice(size);
        await device.LaunchAsync(port);
        return device;
    }

    /// <summary>Every write the device has taken, in order ("coil 2 1", "register 0 3").</summary>
    public IReadOnlyList<string> Writes { get { lock (_lock) return _writes.ToList(); } }

    public bool Coil(int address) { lock (_lock) return _coils[address]; }
    public ushort Register(int address) { lock (_lock) return _registers[address]; }

    /// <summary>Completes when <paramref name="condition"/> holds, checked after every write the device reports.</summary>
    public async Task WaitUntilAsync(Func<ModbusTestDevice, bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(WaitLimit);
        while (true)
        {
            Task changed;
            lock (_lock) changed = _changed.Task;
            if (condition(this)) return;
            try { await changed.WaitAsync(limit.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"the device never saw {what}; its writes: {string.Join(", ", Writes)}"); }
        }
    }

    /// <summary>Kills the device (as a power cut would) and starts it again on the same port, all outputs off.</summary>
    public async Task PowerCycleAsync()
    {
        Kill();
        lock (_lock)
        {
            Array.Clear(_coils);
            Array.Clear(_registers);
        }
        await LaunchAsync(Port);
    }

    public void Kill()
    {
        lock (_lock) _generation++;
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    private async Task LaunchAsync(int port)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "modbus-device.py");
        var process = Process.Start(new ProcessStartInfo(Python, [script, port.ToString(), _size.ToString()])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("python3 did not start");
        _process = process;
        int generation;
        lock (_lock) generation = _generation;
        // Drained as it comes, so a talkative server never blocks on a full pipe; kept for the error if it exits.
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (errors) errors.AppendLine(line); };
        process.BeginErrorReadLine();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                if (parts[0] == "listening") { listening.TrySetResult(int.Parse(parts[1])); continue; }
                lock (_lock)
                {
                    if (generation != _generation) return;
                    var address = int.Parse(parts[1]);
                    for (var i = 2; i < parts.Length; i++)
                        if (parts[0] == "coil") _coils[address + i - 2] = parts[i] == "1";
                        else _registers[address + i - 2] = ushort.Parse(parts[i]);
                    _writes.Add(line);
                    _changed.TrySetResult();
                    _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
            if (listening.Task.IsCompleted) return;
            process.WaitForExit();
            lock (errors) listening.TrySetException(new InvalidOperationException($"the Modbus server exited: {errors}"));
        });
        Port = await listening.Task.WaitAsync(WaitLimit);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }
}
