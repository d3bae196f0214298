using Tunnel.Core.Contracts;

namespace Tunnel.Storage.Tests;

/// <summary>
/// Entry point of the test assembly. The test host never calls it; the SQLite crash test runs
/// this assembly as a child process ("crash-writer FILE") and kills it with SIGKILL.
/// </summary>
public static class Program
{
    public const string CrashAgent = "crash-agent";
    public const int CrashBatchSize = 100;

    public static int Main(string[] args) => args is ["crash-writer", var path] ? CrashWriter(path) : 0;

    /// <summary>Stores batches forever and prints "acked N" after each AddPassages returns; the parent kills it.</summary>
    private static int CrashWriter(string path)
    {
        var store = TunnelStore.Open(StoreOptions.SqliteFile(path));
        var start = DateTimeOffset.UtcNow;
        long seq = 0;
        // Bounded so that a parent that died first leaves no writer running for long.
        while (DateTimeOffset.UtcNow - start < TimeSpan.FromSeconds(60))
        {
            var batch = new List<(Passage, DateTimeOffset)>(CrashBatchSize);
            for (var i = 0; i < CrashBatchSize; i++)
                batch.Add((TestData.Passage(CrashAgent, ++seq, "浙A" + (seq % 100_000).ToString("D5"), start.AddMilliseconds(seq)), DateTimeOffset.UtcNow));
            store.AddPassages(batch);
            Console.Out.WriteLine($"acked {seq}");
            Console.Out.Flush();
        }
        store.Dispose();
        return 0;
    }
}
