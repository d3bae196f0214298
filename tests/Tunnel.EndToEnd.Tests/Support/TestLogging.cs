using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests.Support;

/// <summary>The service's logs in the test's output, so a failure shows what the service saw.</summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper output, string prefix = "") : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(output, prefix, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose() { }

    public static ILoggerFactory Factory(ITestOutputHelper output, string prefix = "") =>
        LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning)
            .AddProvider(new TestOutputLoggerProvider(output, prefix)));

    private sealed class Logger(ITestOutputHelper output, string prefix, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try { output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix}{category} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}"); }
            // xunit refuses output once the test has finished; a late log line from a stopping host is not a failure.
            catch (InvalidOperationException) { }
        }
    }
}
