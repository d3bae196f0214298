using System.Diagnostics;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.Cli.Bench;

public sealed record StoreBenchResult(int Batches, IReadOnlyList<(int Batch, Distribution Commit)> CommitMs);

/// <summary>
/// What the service loop pays the store per batch: one AddPassages transaction (the commit point,
/// synced to disk) and the HighestStoredSeq query behind each acknowledgement, on SQLite in a
/// temporary directory. A diagnostic for the latency figure, without a target of its own.
/// </summary>
public static class StoreBench
{
    public static StoreBenchResult Run(ReplayWorkload workload, IProgress<double>? progress = null, int batches = 40, int[]? sizes = null)
    {
        sizes ??= [1, 20, 200];
        var dir = Directory.CreateTempSubdirectory("tunnel-bench-store-").FullName;
        try
        {
            using var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(dir));
            var next = 0;
            var results = new List<(int, Distribution)>();
            foreach (var size in sizes)
            {
                var times = new List<double>();
                for (var b = 0; b < batches; b++)
                {
                    // Cycles through the traffic with fresh event ids when it is short (tests use an hour of it).
                    var batch = Enumerable.Range(next, size).Select(i => i < workload.Passages.Length
                            ? workload.Passages[i]
                            : workload.Passages[i % workload.Passages.Length] with { EventId = Guid.NewGuid() })
                        .Select(p => (p, p.CapturedAt)).ToList();
                    next += size;
                    var clock = Stopwatch.StartNew();
                    store.AddPassages(batch);
                    foreach (var agent in batch.Select(x => x.p.AgentId).Distinct()) store.HighestStoredSeq(agent);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }
                results.Add((size, Distribution.Of(times)));
                progress?.Report(results.Count / (double)sizes.Length);
            }
            return new StoreBenchResult(batches, results);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { /* a leftover temp directory is harmless */ }
        }
    }
}
