using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Storage;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Live;

/// <summary>
/// Feeds <see cref="LiveHub"/>. AlarmChanged is raised on the service's loop thread, which must
/// never wait for a browser, so transitions go through a channel to this service's own loop.
/// </summary>
internal sealed class LiveBroadcaster(CentralService service, IHubContext<LiveHub> hub, LiveSessions sessions, LatestTransitions latest, TunnelStore store,
    IOptions<ConsoleOptions> options, TimeProvider clock, ILogger<LiveBroadcaster> log) : BackgroundService
{
    private readonly Channel<AlarmTransition> _alarms = Channel.CreateUnbounded<AlarmTransition>(new UnboundedChannelOptions { SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        service.AlarmChanged += OnAlarm;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        service.AlarmChanged -= OnAlarm;
        await base.StopAsync(cancellationToken);
    }

    private void OnAlarm(AlarmTransition t) => _alarms.Writer.TryWrite(t);

    /// <summary>
    /// Sessions ended since (a retired user, a password reset, a logout) lose their live feed within a tick or so. With the
    /// store away the check waits for it: the walls' feed must not stop because the user table cannot be read.
    /// </summary>
    private void EndStaleSessions()
    {
        try
        {
            if (sessions.EndStale(store.GetUser, store.EndedSessions()) is > 0 and var ended) log.LogInformation("closed {Count} live connection(s) whose session had ended", ended);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("live sessions not checked: {Error}", e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, options.Value.SnapshotIntervalMs)), clock);
        var tick = timer.WaitForNextTickAsync(ct).AsTask();
        var alarm = _alarms.Reader.WaitToReadAsync(ct).AsTask();
        var sentAt = DateTimeOffset.MinValue;
        var sessionCheck = Task.CompletedTask;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.WhenAny(tick, alarm);
                if (ct.IsCancellationRequested) break;
                if (alarm.IsCompleted)
                {
                    // Re-armed before sending, so a failing push cannot spin this loop.
                    alarm = _alarms.Reader.WaitToReadAsync(ct).AsTask();
                    while (_alarms.Reader.TryRead(out var t))
                    {
                        // With its card: a note or an acknowledgement pushed must not take the shelf, an earlier note or the reason off it.
                        var card = latest.Find(t.AlarmId);
                        await hub.Clients.Group(LiveHub.PlainGroup).SendAsync("alarm", WallProjection.Of(t, plates: true, card), ct);
                        await hub.Clients.Group(LiveHub.MaskedGroup).SendAsync("alarm", WallProjection.Of(t, plates: false, card), ct);
                    }
                }
                if (tick.IsCompleted)
                {
                    tick = timer.WaitForNextTickAsync(ct).AsTask();
                    // Off the push's path, one check at a time: a store that hangs must not slow the walls' feed.
                    if (sessionCheck.IsCompleted) sessionCheck = Task.Run(EndStaleSessions, ct);
                    var snapshot = service.Snapshot;
                    if (snapshot.At != sentAt)
                    {
                        sentAt = snapshot.At;
                        latest.KeepOnly(snapshot.OpenAlarms.Select(a => a.AlarmId), snapshot.At);
                        await hub.Clients.Group(LiveHub.PlainGroup).SendAsync("snapshot", WallProjection.Of(snapshot, plates: true, latest), ct);
                        await hub.Clients.Group(LiveHub.MaskedGroup).SendAsync("snapshot", WallProjection.Of(snapshot, plates: false, latest), ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // One failed push must not end live updates for everyone.
                log.LogWarning(e, "live push failed");
            }
        }
    }
}
