using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Modbus;

namespace Tunnel.Central.Towers;

/// <summary>
/// How a tower is doing, for /healthz, /metrics and the maintenance page: <see cref="Rounds"/> written whole and
/// <see cref="Failures"/> that were not; <see cref="LastError"/> is why it is offline.
/// </summary>
public sealed record AlarmTowerStatus(string Id, string Endpoint, bool Online, int OutputsLit, bool Testing,
    DateTimeOffset? LastWriteAt, string? LastError, long Rounds, long Failures);

/// <summary>
/// Drives one alarm tower from the open alarms. The outputs follow the alarms' state, not their transitions: every
/// round writes what the open alarms call for now, so a missed write, a restarted module or a restarted service
/// all end in the right lamps at the next round. Writes go out at once when an alarm changes and every
/// <see cref="AlarmTowerSettings.RefreshSeconds"/> besides; an unreachable tower is tried again with a growing pause.
/// </summary>
public sealed class AlarmTower : IAsyncDisposable
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);

    private readonly Func<IReadOnlyList<AlarmView>> _openAlarms;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ModbusTcpClient _client;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _lock = new();
    private AlarmTowerStatus _status;
    private DateTimeOffset _testUntil = DateTimeOffset.MinValue;
    private TimeSpan _pause = FirstPause;

    public AlarmTower(AlarmTowerSettings settings, Func<IReadOnlyList<AlarmView>> openAlarms, TimeProvider clock, ILogger log)
    {
        Settings = settings;
        _openAlarms = openAlarms;
        _clock = clock;
        _log = log;
        _client = new ModbusTcpClient(settings.Host, settings.Port);
        _status = new AlarmTowerStatus(settings.Id, _client.Endpoint, false, 0, false, null, null, 0, 0);
    }

    public AlarmTowerSettings Settings { get; }
    public AlarmTowerStatus Status { get { lock (_lock) return _status; } }

    /// <summary>The open alarms changed: write the outputs now. Cheap, from any thread.</summary>
    public void Changed() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// A lamp test from the portal or the control room: every output on for <paramref name="duration"/>, then back
    /// to what the alarms call for.
    /// </summary>
    public void Test(TimeSpan duration)
    {
        lock (_lock) _testUntil = _clock.GetUtcNow() + duration;
        Changed();
    }

    /// <summary>Which outputs the open alarms (or a lamp test) light now.</summary>
    public bool[] Desired(IReadOnlyList<AlarmView> open, bool testing) =>
        Settings.Outputs.Select(o => testing || open.Any(a => Settings.Covers(a) && o.LitBy(a))).ToArray();

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try { wait = await RoundAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(wait);
            try
            {
                if (await _wake.Reader.WaitToReadAsync(timeout.Token)) _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Writes every output once; returns how long to wait for the next round unless an alarm changes first.</summary>
    internal async Task<TimeSpan> RoundAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        DateTimeOffset testUntil;
        lock (_lock) testUntil = _testUntil;
        var testing = now < testUntil;
        var desired = Desired(_openAlarms(), testing);
        try
        {
            await WriteAsync(desired, ct);
        }
        catch (ModbusException e)
        {
            Record(online: false, Status.OutputsLit, testing, null, e.Message);
            var pause = _pause;
            _pause = TimeSpan.FromTicks(Math.Min(_pause.Ticks * 2, MaxPause.Ticks));
            return pause;
        }
        Record(online: true, desired.Count(on => on), testing, now, error: null);
        _pause = FirstPause;
        var wait = TimeSpan.FromSeconds(Settings.RefreshSeconds);
        return testing && testUntil - now < wait ? testUntil - now : wait;
    }

    private async Task WriteAsync(bool[] desired, CancellationToken ct)
    {
        for (var i = 0; i < desired.Length; i++)
        {
            var output = Settings.Outputs[i];
            if (output.Coil is { } coil) await _client.WriteCoilAsync(Settings.UnitId, coil, desired[i], ct);
            else await _client.WriteRegisterAsync(Settings.UnitId, output.Register!.Value, desired[i] ? output.OnValue : output.OffValue, ct);
        }
    }

    private void Record(bool online, int lit, bool testing, DateTimeOffset? wroteAt, string? error)
    {
        AlarmTowerStatus before;
        lock (_lock)
        {
            before = _status;
            _status = before with
            {
                Online = online, OutputsLit = lit, Testing = testing, LastWriteAt = wroteAt ?? before.LastWriteAt, LastError = error,
                Rounds = before.Rounds + (online ? 1 : 0), Failures = before.Failures + (online ? 0 : 1),
            };
        }
        // Once per change of state, not once per round: a tower that stays away would fill the log.
        if (online && !before.Online) _log.LogInformation("alarm tower {Tower} at {Endpoint} online, {Lit} output(s) lit", Settings.Id, _client.Endpoint, lit);
        else if (!online && (before.Online || before.Failures == 0)) _log.LogWarning("alarm tower {Tower} unreachable: {Error}; retrying", Settings.Id, error);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
