using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Modbus;

namespace Tunnel.Central.Towers;

/// <summary>
/// How a tower is doing, for /healthz, /metrics and the maintenance page: <see cref="Rounds"/> that reached it
/// and <see cref="Failures"/> that did not; <see cref="OutputsLit"/> counts its coils and registers on.
/// <see cref="LastError"/> says why it is offline, which output it refused while online (a coil the module does
/// not have, say), or why it can never show an alarm (a site that does not exist).
/// </summary>
public sealed record AlarmTowerStatus(string Id, string Endpoint, bool Online, int OutputsLit, TowerTest? Testing,
    DateTimeOffset? LastWriteAt, string? LastError, long Rounds, long Failures)
{
    /// <summary>Every output as the alarms call for it.</summary>
    public bool Working => Online && LastError is null;
}

/// <summary>What a test from the console turns on: the lamps, or the sirens (which a portal's drivers hear too).</summary>
public enum TowerTest { Lamps, Sirens }

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
    // Pauses and tests are for the network and the people at the tower: real time, even when the service's clock
    // runs faster (the demo) or is a test's.
    private static readonly TimeProvider Real = TimeProvider.System;

    private readonly Func<IReadOnlyList<AlarmView>> _openAlarms;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ModbusTcpClient _client;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _lock = new();
    private AlarmTowerStatus _status;
    private (TowerTest Kind, DateTimeOffset Until)? _test;
    private TimeSpan _pause = FirstPause;

    public AlarmTower(AlarmTowerSettings settings, Func<IReadOnlyList<AlarmView>> openAlarms, TimeProvider clock, ILogger log)
    {
        Settings = settings;
        _openAlarms = openAlarms;
        _clock = clock;
        _log = log;
        _client = new ModbusTcpClient(settings.Host, settings.Port);
        _status = new AlarmTowerStatus(settings.Id, _client.Endpoint, false, 0, null, null, null, 0, 0);
    }

    public AlarmTowerSettings Settings { get; }
    /// <summary>Why the tower can never show its alarms (a site or bore that does not exist); kept as its error.</summary>
    public string? Problem { get; init; }
    public AlarmTowerStatus Status { get { lock (_lock) return _status; } }

    /// <summary>The open alarms changed: write the outputs now. Cheap, from any thread.</summary>
    public void Changed() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// A test from the portal or the control room: the lamps (or the sirens) on for <paramref name="duration"/>, the
    /// other outputs as the alarms call for them, then everything back to the alarms.
    /// </summary>
    public void Test(TowerTest kind, TimeSpan duration)
    {
        lock (_lock) _test = (kind, Real.GetUtcNow() + duration);
        Changed();
    }

    /// <summary>
    /// Which outputs the open alarms (or a test) light now. Outputs that share a coil or register are one output:
    /// the first of them in the list that is lit decides (a signal tower's pattern register: critical before steady).
    /// </summary>
    public bool[] Desired(IReadOnlyList<AlarmView> open, TowerTest? testing) =>
        Settings.Outputs.Select(o => Tested(o, testing) || open.Any(a => Settings.Covers(a) && o.LitBy(a))).ToArray();

    private static bool Tested(TowerOutput output, TowerTest? testing) =>
        testing == (output.Signal == TowerSignal.Audible ? TowerTest.Sirens : TowerTest.Lamps);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try { wait = await RoundAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }

            try
            {
                // While the tower is out of reach the pause stands: an alarm changing does not make it reachable.
                if (!Status.Online) await Task.Delay(wait, ct);
                else
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(wait);
                    try { await _wake.Reader.WaitToReadAsync(timeout.Token); }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
                }
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Writes every output once; returns how long to wait for the next round unless an alarm changes first.</summary>
    internal async Task<TimeSpan> RoundAsync(CancellationToken ct)
    {
        var now = Real.GetUtcNow();
        (TowerTest Kind, DateTimeOffset Until)? test;
        lock (_lock) test = _test is { } t && now < t.Until ? t : null;
        int lit;
        string? refused;
        try
        {
            (refused, lit) = await WriteAsync(Desired(_openAlarms(), test?.Kind), test?.Kind, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            // Anything but the service stopping is one failed round: the loop must outlive it, or the lamps stop following the alarms.
            if (e is not ModbusException) _log.LogError(e, "alarm tower {Tower}: round failed", Settings.Id);
            Record(online: false, test?.Kind, null, e.Message, lit: null);
            var pause = _pause;
            _pause = TimeSpan.FromTicks(Math.Min(_pause.Ticks * 2, MaxPause.Ticks));
            return pause;
        }
        Record(online: true, test?.Kind, _clock.GetUtcNow(), refused, lit);
        _pause = FirstPause;
        var wait = TimeSpan.FromSeconds(Settings.RefreshSeconds);
        return test is { } running && running.Until - now < wait ? running.Until - now : wait;
    }

    /// <summary>
    /// Writes each coil and register once; returns the device's refusals of single outputs (which do not stop the
    /// others) and how many coils and registers are on.
    /// </summary>
    private async Task<(string? Refused, int Lit)> WriteAsync(bool[] desired, TowerTest? testing, CancellationToken ct)
    {
        var refusals = new List<string>();
        var written = new HashSet<(bool Coil, ushort Address)>();
        var lit = 0;
        for (var i = 0; i < desired.Length; i++)
        {
            var output = Settings.Outputs[i];
            if (!written.Add((output.Coil.HasValue, output.Coil ?? output.Register!.Value))) continue;
            // Of the outputs at this address (i is the first), one under test decides, else the first lit one;
            // with none lit, the first one's off state.
            var sharing = Enumerable.Range(i, desired.Length - i).Where(j => SameAddress(Settings.Outputs[j], output)).ToList();
            var decider = sharing.Where(j => desired[j] && Tested(Settings.Outputs[j], testing)).Concat(sharing.Where(j => desired[j])).FirstOrDefault(-1);
            var on = decider >= 0;
            if (on) lit++;
            try
            {
                if (output.Coil is { } coil) await _client.WriteCoilAsync(Settings.UnitId, coil, on, ct);
                else await _client.WriteRegisterAsync(Settings.UnitId, output.Register!.Value, on ? Settings.Outputs[decider].OnValue : output.OffValue, ct);
            }
            // 10 and 11: a gateway that cannot reach the device behind it, which is the whole tower out of reach.
            catch (ModbusException e) when (e.ExceptionCode is not (null or 10 or 11))
            {
                refusals.Add($"{output}: {e.Message}");
            }
        }
        return (refusals.Count == 0 ? null : string.Join("; ", refusals), lit);
    }

    private static bool SameAddress(TowerOutput a, TowerOutput b) => a.Coil is { } coil ? b.Coil == coil : b.Register == a.Register && b.Coil is null;

    private void Record(bool online, TowerTest? testing, DateTimeOffset? wroteAt, string? error, int? lit)
    {
        AlarmTowerStatus before;
        lock (_lock)
        {
            before = _status;
            _status = before with
            {
                // Out of reach, what its outputs show is not known: a module that lost power shows nothing.
                Online = online, OutputsLit = lit ?? 0, Testing = testing, LastWriteAt = wroteAt ?? before.LastWriteAt, LastError = error ?? Problem,
                Rounds = before.Rounds + (online ? 1 : 0), Failures = before.Failures + (online ? 0 : 1),
            };
        }
        // Once per change of state, not once per round: a tower that stays away would fill the log.
        if (online && !before.Online) _log.LogInformation("alarm tower {Tower} at {Endpoint} online, {Lit} output(s) lit", Settings.Id, _client.Endpoint, lit);
        else if (!online && (before.Online || before.Failures == 0)) _log.LogWarning("alarm tower {Tower} unreachable: {Error}; retrying", Settings.Id, error);
        if (online && error is not null && error != before.LastError) _log.LogWarning("alarm tower {Tower} refused an output: {Error}", Settings.Id, error);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
