using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Tunnel.Cli.Demo;

/// <summary>
/// The demo's alarm tower: a Modbus TCP I/O module played by Debian's pymodbus (<c>hardware/modbus-device.py</c>) in a
/// process of its own on a free loopback port. The central service drives it as it would a real one, configured
/// like any tower: a steady beacon while any alarm is open, a flashing lamp until every alarm is acknowledged, a
/// siren for high and critical alarms. The demo shows what the module was last told.
/// </summary>
public sealed class DemoTower : IAsyncDisposable
{
    public const string Id = "demo-tower";
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(15);
    /// <summary>The outputs, coil by coil from 0.</summary>
    private static readonly (string Name, string Signal)[] Outputs = [("beacon", "active"), ("flashing", "unacknowledged"), ("siren", "audible")];

    private readonly Process _process;
    private readonly bool[] _coils = new bool[Outputs.Length];

    private DemoTower(Process process, int port) => (_process, Port) = (process, port);

    public int Port { get; }

    /// <summary>The tower, or null (and a warning) where it cannot run: the demo goes on without it.</summary>
    public static async Task<DemoTower?> StartAsync(ILogger log, CancellationToken ct)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "modbus-device.py");
        if (!File.Exists(Python) || !Directory.Exists("/usr/lib/python3/dist-packages/pymodbus") || !File.Exists(script))
        {
            log.LogWarning("demo alarm tower off: python3-pymodbus is not installed (scripts/setup.sh installs it)");
            return null;
        }
        var process = Process.Start(new ProcessStartInfo(Python, [script, "0", Outputs.Length.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        // Drained as it comes, so the device never blocks on a full pipe.
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(StartLimit);
            var first = await process.StandardOutput.ReadLineAsync(limit.Token);
            if (first?.Split(' ') is ["listening", var port])
            {
                var tower = new DemoTower(process, int.Parse(port, CultureInfo.InvariantCulture));
                _ = Task.Run(tower.FollowWritesAsync, CancellationToken.None);
                return tower;
            }
            log.LogWarning("demo alarm tower off: the Modbus device said {Line}", first ?? "nothing");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("demo alarm tower off: the Modbus device did not start within {Seconds} s", StartLimit.TotalSeconds);
        }
        Stop(process);
        return null;
    }

    /// <summary>The tower as <c>Tunnel:AlarmTowers:{index}</c> settings, as an operator would write them in appsettings.json.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings(int index)
    {
        var prefix = $"Tunnel:AlarmTowers:{index}:";
        yield return new(prefix + "Id", Id);
        yield return new(prefix + "Host", "127.0.0.1");
        yield return new(prefix + "Port", Port.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < Outputs.Length; i++)
        {
            yield return new($"{prefix}Outputs:{i}:Signal", Outputs[i].Signal);
            yield return new($"{prefix}Outputs:{i}:Coil", i.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>What the module was last told, output by output ("beacon on, flashing on, siren off").</summary>
    public string Lit
    {
        get
        {
            lock (_coils) return string.Join(", ", Outputs.Select((o, i) => $"{o.Name} {(_coils[i] ? "on" : "off")}"));
        }
    }

    /// <summary>True while the module has the output of <paramref name="name"/> on.</summary>
    public bool IsOn(string name)
    {
        var i = Array.FindIndex(Outputs, o => o.Name == name);
        lock (_coils) return _coils[i];
    }

    /// <summary>The device reports each write it takes ("coil 2 1").</summary>
    private async Task FollowWritesAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Split(' ') is not ["coil", var address, var value] || !int.TryParse(address, CultureInfo.InvariantCulture, out var coil)
                || coil < 0 || coil >= Outputs.Length) continue;
            lock (_coils) _coils[coil] = value == "1";
        }
    }

    private static void Stop(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // gone already
        process.WaitForExit();
        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process);
        return ValueTask.CompletedTask;
    }
}
