using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>The service's log outlives the plate retention (a journal keeps it as long as it likes): it names no vehicle.</summary>
public sealed class AlarmLogTests
{
    private static readonly TimeSpan Deadline = LiveCentral.Deadline;

    [Fact]
    public async Task An_alarm_is_logged_with_its_plate_and_an_operators_words_masked()
    {
        var log = new ListLogger();
        var shelved = new TaskCompletionSource<AlarmTransition>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1",
            service => service.AlarmChanged += t => { if (t.State == AlarmState.Shelved) shelved.TrySetResult(t); }, log: log);

        var id = await live.Service.Post((engine, now) => engine.Alarms.Raise(new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = "浙A12345", At = now, EnteredAt = now.AddMinutes(-10), Lane = 1,
        }).Id).WaitAsync(Deadline);
        await live.Service.ShelveAsync(id, "op", "浙A12345 stopped for a tow, driver on 138 1234 5678", DateTimeOffset.UtcNow.AddMinutes(30)).WaitAsync(Deadline);
        // Announced after it is logged, in the same step.
        await shelved.Task.WaitAsync(Deadline);

        var lines = log.Lines.Where(l => l.StartsWith("alarm overdue", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains("浙A1***5", l));
        Assert.All(lines, l => Assert.DoesNotContain("浙A12345", l));
        Assert.DoesNotContain(lines, l => l.Contains("5678", StringComparison.Ordinal));
    }

    private sealed class ListLogger : ILogger<CentralService>
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}
