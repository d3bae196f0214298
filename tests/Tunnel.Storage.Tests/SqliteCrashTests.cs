using System.Diagnostics;
using Xunit.Abstractions;

namespace Tunnel.Storage.Tests;

/// <summary>
/// A child process (this test assembly, see <see cref="Program"/>) stores batches and reports each
/// one AddPassages returned for; it is killed with SIGKILL in mid-stream. Every reported batch must
/// be in the file, no batch may be half there, and the file must be intact.
/// </summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int AcksBeforeKill = 30;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tunnel-crash-");

    [Fact]
    public async Task Every_batch_acknowledged_before_a_sigkill_is_in_the_file()
    {
        var path = Path.Combine(_directory.FullName, "tunnel.db");
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", typeof(Program).Assembly.Location, "crash-writer", path }) info.ArgumentList.Add(arg);

        long lastAcked = 0;
        var acks = 0;
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start the crash writer");
        // Drained from the start so the child can never block on a full stderr pipe.
        var stderr = child.StandardError.ReadToEndAsync();
        try
        {
            while (acks < AcksBeforeKill && child.StandardOutput.ReadLine() is { } line)
            {
                lastAcked = ParseAck(line);
                acks++;
            }
            if (acks < AcksBeforeKill) Assert.Fail($"the writer stopped after {acks} batches: {await stderr}");
            child.Kill(); // SIGKILL on Unix: no finalisers, no Dispose, no checkpoint.
            child.WaitForExit();
            // Acknowledgements already in the pipe were written after AddPassages returned: they count too.
            foreach (var line in child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                lastAcked = Math.Max(lastAcked, ParseAck(line));
                acks++;
            }
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
        Assert.Equal(137, child.ExitCode);
        Assert.True(File.Exists(path + "-wal"), "the killed writer should have left its write-ahead log behind");

        using var store = TunnelStore.Open(StoreOptions.SqliteFile(path));
        Assert.Equal("ok", store.ScalarForTests("PRAGMA integrity_check"));
        var seqs = store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.Seq).ToList();
        Assert.True(store.HighestStoredSeq(Program.CrashAgent) >= lastAcked, $"acknowledged up to {lastAcked}, stored up to {store.HighestStoredSeq(Program.CrashAgent)}");
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.True(seqs.Count % Program.CrashBatchSize == 0, $"a batch was stored in part: {seqs.Count} passages");
        Assert.Equal(seqs.Count, store.HighestStoredSeq(Program.CrashAgent));
        output.WriteLine($"killed after {acks} acknowledged batches (up to seq {lastAcked}); found {seqs.Count} passages, " +
                         $"{(seqs.Count - lastAcked) / Program.CrashBatchSize} batch(es) committed but not yet reported");
    }

    private static long ParseAck(string line) =>
        line.StartsWith("acked ", StringComparison.Ordinal) ? long.Parse(line.AsSpan(6)) : throw new InvalidDataException($"unexpected line from the writer: {line}");

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) return host;
        return Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
