using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Tests.Support;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.EndToEnd.Tests.Support;

namespace Tunnel.Agent.Tests;

/// <summary>The whole agent on a drawn clip; no broker is needed for what it keeps in its outbox.</summary>
public sealed class EdgeAgentTests(PlateReaderFixture fixture) : IClassFixture<PlateReaderFixture>, IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-agent-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AgentOptions Options(SyntheticClip clip, bool realTime = true)
    {
        var r = clip.Lanes[0].Region;
        return new AgentOptions
        {
            Site = "maoliling", Bore = "north", Lane = 1, Source = clip.Path, RealTime = realTime, Region = [r.X, r.Y, r.Width, r.Height],
            LoopLine = clip.Lanes[0].LoopLine, DataDirectory = Path.Combine(_dir, "data"),
            // Nothing listens there: the link keeps trying, capture does not wait for it.
            Broker = new AgentBrokerOptions { Port = Ports.FreePort(), Password = "unused" },
        };
    }

    [Fact]
    public async Task A_clean_stop_keeps_the_vehicle_that_crossed_the_loop_but_was_still_in_the_read_band()
    {
        // It halts on the loop: after crossing it stays in the read band, so the detector still holds it.
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "halt.avi"), 640, 360, 25, [new(1, 0.3, "浙J55501", StopSeconds: 10)]);
        var crossed = (long)Math.Ceiling(clip.Drawn[0].ReachesLoopAt * clip.Fps);
        await using var agent = EdgeAgent.Start(Options(clip), fixture.Reader, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = agent.RunAsync(stop.Token);

        // Half a second after it crossed; the detector would hold it for two.
        await Wait.UntilAsync(() => agent.Counters?.Frames >= crossed + 12 || run.IsCompleted, "the vehicle to cross the loop", Limit);
        await stop.CancelAsync();
        await run.WaitAsync(Limit);

        Assert.Equal(1, agent.Passages);
        Assert.Equal(1, agent.Outbox.Depth);
    }

    [Fact]
    public async Task An_outbox_that_fails_to_keep_passages_is_reported_and_they_are_kept_once_it_works_again()
    {
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "two.avi"), 640, 360, 25, [new(1, 0.3, "浙J55501"), new(1, 1.5, "浙J55502")]);
        await using var agent = EdgeAgent.Start(Options(clip, realTime: false), fixture.Reader, TimeProvider.System, NullLoggerFactory.Instance);
        using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = agent.Outbox.Path, Pooling = false }.ToString());
        other.Open();
        void Execute(string sql)
        {
            using var command = other.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
        // Every insert fails as it would on a full disk.
        Execute("CREATE TRIGGER disk_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END");

        var run = agent.RunAsync(CancellationToken.None);
        await Wait.UntilAsync(() => agent.Counters?.Vehicles == 2 || run.IsCompleted, "both vehicles to pass", Limit);
        await Wait.UntilAsync(() => agent.LastError?.Contains("disk is full", StringComparison.Ordinal) == true || run.IsCompleted, "the status to say why", Limit);
        Assert.False(run.IsCompleted, "the agent must neither die nor finish with passages it could not keep");
        Assert.Equal(0, agent.Passages);

        Execute("DROP TRIGGER disk_full");
        await run.WaitAsync(Limit);
        Assert.Equal(2, agent.Passages);
        Assert.Equal(2, agent.Outbox.Depth);
        Assert.DoesNotContain("disk", agent.LastError ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_passage_is_logged_with_its_plate_masked()
    {
        // The journal keeps an edge box's log past the plate retention; the camera check is where reads are shown whole.
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "one.avi"), 640, 360, 25, [new(1, 0.3, "浙J55501")]);
        var logs = new ListLogs();
        await using var agent = EdgeAgent.Start(Options(clip, realTime: false), fixture.Reader, TimeProvider.System, logs);
        await agent.RunAsync(CancellationToken.None).WaitAsync(Limit);

        var read = TunnelJson.Deserialize<Passage>(System.Text.Encoding.UTF8.GetString(Assert.Single(agent.Outbox.Read(0, 10)).Payload))!.Plate!.Text;
        var line = Assert.Single(logs.Lines, l => l.StartsWith("passage 1 ", StringComparison.Ordinal));
        Assert.Contains(PlateMask.Apply(read, visible: false)!, line);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(read, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_camera_that_comes_back_with_another_frame_size_goes_on_counting()
    {
        var url = $"http://127.0.0.1:{Ports.FreePort()}/cam";
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "bigger.avi"), 640, 360, 25, [new(1, 0.5, "浙J55501")], tailSeconds: 3);
        // The lane is the whole frame, whichever size the camera sends.
        var options = Options(clip);
        (options.Source, options.Region) = (url, []);
        await using var agent = EdgeAgent.Start(options, fixture.Reader, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var camera = NetworkCamera.Serve(url, "-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=25");
        var run = agent.RunAsync(stop.Token);
        try
        {
            await Wait.UntilAsync(() => agent.Counters?.Frames >= 10 || run.IsCompleted, "frames from the first camera", Limit);
            camera.Dispose();
            // Reconfigured to a larger picture, with a vehicle driving through it.
            camera = NetworkCamera.Serve(url, "-i", clip.Path);
            await Wait.UntilAsync(() => agent.Passages >= 1 || run.IsCompleted, "the vehicle seen at the new size", Limit);
            Assert.False(run.IsCompleted, $"the agent stopped: {(run.IsFaulted ? run.Exception!.InnerException!.Message : "")}");
            Assert.Equal(1, agent.Passages);
        }
        finally
        {
            camera.Dispose();
            await stop.CancelAsync();
            try { await run.WaitAsync(Limit); } catch (AgentConfigurationException) { }
        }
    }

    private sealed class ListLogs : ILoggerFactory, ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}
