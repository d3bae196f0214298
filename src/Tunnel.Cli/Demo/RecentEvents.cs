using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Tunnel.Cli.Demo;

/// <summary>
/// A logger that keeps the last few lines in memory instead of writing them: under the live view,
/// console logging would tear the screen, so the view shows these lines in a panel instead.
/// </summary>
public sealed class RecentEvents(int capacity = 6, LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    private readonly LogLevel _minimum = minimum;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines { get { lock (_gate) return [.. _lines]; } }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose() { }

    private void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    private sealed class Logger(RecentEvents owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var level = logLevel switch { LogLevel.Warning => "warn", LogLevel.Error => "fail", LogLevel.Critical => "crit", _ => "info" };
            var text = formatter(state, exception) + (exception is null ? "" : $" ({exception.Message})");
            owner.Add($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {level} {category}: {text.ReplaceLineEndings(" ")}");
        }
    }
}
