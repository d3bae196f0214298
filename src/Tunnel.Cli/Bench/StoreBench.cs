using System.Diagnostics;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.Cli.Bench;

/// <param name="VolumeMs">Reading the per-hour counts of <paramref name="VolumeDays"/> days of traffic (<paramref name="VolumePassages"/> passages).</param>
public sealed record StoreBenchResult(int Batches, IReadOnlyList<(int Batch, Distribution Commit)> CommitMs, int VolumeDays, int VolumePassages,
    Distribution VolumeMs);

/// <summary>
/// What the service loop pays the store per batch: one AddPassages transaction (the commit point,
/// synced to disk) and the HighestStoredSeq query behind each acknowledgement, on SQLite in a
/// temporary directory. A diagnostic for the latency figure, without a target of its own. Then what a
/// manager's volume report pays: the traffic stored again for each of <c>days</c> days, and the
/// hourly counts of them all read back.
/// </summary>
public static class StoreBench
{
    public static StoreBenchResult Run(ReplayWorkload workload, IProgress<double>? progress = null, int batches = 40, int[]? sizes = null, int days = 7)
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
                progress?.Report(results.Count / (double)sizes.Length / 2);
            }
            var (stored, volume) = VolumeCounts(store, workload, days, progress);
            return new StoreBenchResult(batches, results, days, stored, volume);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { /* a leftover temp directory is harmless */ }
        }
    }

    private static (int Stored, Distribution Ms) VolumeCounts(TunnelStore store, ReplayWorkload workload, int days, IProgress<double>? progress)
    {
        var stored = 0;
        for (var d = 0; d < days; d++)
        {
            foreach (var chunk in workload.Passages.Chunk(10_000))
            {
                store.AddPassages(chunk.Select(p => (p with { EventId = Guid.NewGuid(), CapturedAt = p.CapturedAt.AddDays(d) }, p.CapturedAt.AddDays(d))).ToList());
                stored += chunk.Length;
            }
            progress?.Report(0.5 + 0.5 * (d + 1) / days);
        }
        var from = workload.Passages.Min(p => p.CapturedAt);
        var to = workload.Passages.Max(p => p.CapturedAt).AddDays(days);
        var times = new List<double>();
        for (var r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            var counted = store.HourlyCounts(from, to).Sum(c => c.Passages);
            times.Add(clock.Elapsed.TotalMilliseconds);
            // The figure is worth nothing if the counts are not those of the stored passages.
            if (counted < stored) throw new InvalidOperationException($"hourly counts hold {counted} passages of the {stored} stored");
        }
        return (stored, Distribution.Of(times));
    }
}
