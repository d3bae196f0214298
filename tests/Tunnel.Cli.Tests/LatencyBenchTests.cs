using Tunnel.Cli.Bench;

namespace Tunnel.Cli.Tests;

/// <summary>
/// The latency bench's join of the agents' timestamps with the service's, in both setups, and the
/// agents' process never outliving the bench. Invariants only: speed goals live in the benchmark.
/// </summary>
[Collection(LatencyBenchTests.Collection)]
public sealed class LatencyBenchTests
{
    /// <summary>
    /// Benches run one at a time and alone in the test process: a test can tell its own agents' child, and
    /// what they measure for the whole process (heap growth per vehicle, CPU per thread) is theirs. With
    /// other tests freeing memory alongside, the 300-vehicle memory figure once came out negative.
    /// </summary>
    public const string Collection = "agents' processes";

    private static readonly ReplayWorkload Workload = ReplayWorkload.Create(hours: 1, seed: 3);

    private static LatencyBenchOptions Short(int? agentsNice) => new()
    {
        Rate = 200, Duration = TimeSpan.FromSeconds(2), Warmup = TimeSpan.FromSeconds(0.5), Drain = TimeSpan.FromSeconds(20),
        AgentsNice = agentsNice,
    };

    [Theory]
    [InlineData(LatencyBenchOptions.DefaultAgentsNice)]
    [InlineData(null)]
    public async Task Every_passage_is_sent_then_received_then_decided_then_acknowledged_on_one_clock(int? agentsNice)
    {
        var r = await LatencyBench.RunAsync(Short(agentsNice), Workload);

        Assert.Contains(agentsNice is null ? "inside the service's process" : "process of their own", r.Setup, StringComparison.Ordinal);
        Assert.Equal(400, r.Sent);
        Assert.Equal(r.Sent, r.Decided);
        Assert.Equal((0L, 0L), (r.Unacknowledged, r.PubacksMissing));
        // Timestamps from two processes joined per passage: any passage received before it was sent,
        // or decided before it was received, would mean the clocks are not one.
        Assert.Equal(0, r.OutOfOrder);
        Assert.InRange(r.Counted, 1, r.Sent);
        Assert.True(r.ReceivedMs.Min >= 0, $"received {r.ReceivedMs.Min} ms after the send");
        // Per passage send <= receipt <= decision <= ack, so each order statistic keeps that order too.
        Assert.True(r.ReceivedMs.P50 <= r.DecisionMs.P50 && r.ReceivedMs.P99 <= r.DecisionMs.P99, $"{r.ReceivedMs} vs {r.DecisionMs}");
        Assert.True(r.DecisionMs.P50 <= r.AckMs.P50 && r.DecisionMs.P99 <= r.AckMs.P99, $"{r.DecisionMs} vs {r.AckMs}");
        Assert.Equal(r.Counted, r.InServiceMs.Count);
        Assert.Equal(r.Counted, r.Tail.Counted);
        Assert.InRange(r.Tail.Count, 0, r.Tail.Counted);
        Assert.All(r.Tail.After.Values, a => Assert.InRange(a.Slow, 0, a.All));
        // CPU accounted for the service, its private mosquitto and, in their own process, the agents; then the store's commits.
        Assert.Equal(agentsNice is null ? ["service", "mosquitto", "store"] : ["service", "mosquitto", "agents", "store"],
            r.CpuAfterWarmup.Select(c => c[..c.IndexOf(':', StringComparison.Ordinal)]));
        Assert.InRange(r.StoreCommits, 1, r.Sent);
    }

    [Fact]
    public async Task A_cancelled_run_leaves_no_agents_process_behind()
    {
        using var cancel = new CancellationTokenSource();
        var children = new List<int>();
        // The bench reports its first progress once the agents are connected and ready: cancel right there.
        var progress = new CallerThreadProgress(_ =>
        {
            if (children.Count > 0) return;
            children.AddRange(AgentsChildren());
            cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LatencyBench.RunAsync(Short(LatencyBenchOptions.DefaultAgentsNice), Workload, progress, cancel.Token));

        var child = Assert.Single(children);
        Assert.False(Directory.Exists($"/proc/{child}"), $"the agents' process {child} is still there");
    }

    [Fact]
    public async Task An_agents_process_that_cannot_start_reports_why()
    {
        var dir = Directory.CreateTempSubdirectory("tunnel-agents-fail-").FullName;
        try
        {
            // Nothing listens on port 1: the child's first connect fails, and its error must reach the bench.
            var plan = new AgentsPlan("127.0.0.1", 1, "maoliling", 100, TimeSpan.FromSeconds(1),
                new Dictionary<string, string> { [Workload.Passages[0].AgentId] = "x" }, [Workload.Passages[0] with { Seq = 1 }]);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AgentsProcess.StartAsync(plan, dir, 15, CancellationToken.None));

            Assert.Contains("agents' process", e.Message, StringComparison.Ordinal);
            Assert.Contains("Cannot connect", e.Message, StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>This process's children running `tunnel bench agents` (their command line from /proc).</summary>
    private static IEnumerable<int> AgentsChildren()
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat, cmdline;
            try { (stat, cmdline) = (File.ReadAllText($"{dir}/stat"), File.ReadAllText($"{dir}/cmdline")); }
            catch (IOException) { continue; }
            // Fields after the parenthesised name: state, then the parent's pid.
            var parent = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
            if (parent == self && cmdline.Contains("bench\0agents\0", StringComparison.Ordinal)) yield return pid;
        }
    }

    /// <summary>Unlike <see cref="Progress{T}"/>, reports on the caller's thread, before the bench goes on.</summary>
    private sealed class CallerThreadProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}

[CollectionDefinition(LatencyBenchTests.Collection, DisableParallelization = true)]
public sealed class BenchCollection;
