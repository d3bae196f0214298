using System.Diagnostics;

namespace Tunnel.Cli.Tests;

/// <summary>hardware/systemd's units are what a deployment copies to /etc/systemd/system: systemd itself must accept them whole.</summary>
public sealed class SystemdUnitTests
{
    private const string Analyze = "/usr/bin/systemd-analyze";

    [Theory]
    [InlineData("tunnel-central.service", "tunnel-central.service")]
    [InlineData("tunnel-agent@.service", "tunnel-agent@maoliling-north-entry-1.service")]
    public async Task The_shipped_unit_passes_systemds_own_check_without_a_warning(string shipped, string installedAs)
    {
        Assert.True(File.Exists(Analyze), $"{Analyze} is missing: apt-get install systemd (scripts/setup.sh does)");
        var dir = Directory.CreateTempSubdirectory("tunnel-units-");
        try
        {
            // A template is checked as one of its instances, the way systemd loads it.
            var unit = Path.Combine(dir.FullName, installedAs);
            File.Copy(Path.Combine(RepositoryRoot(), "hardware", "systemd", shipped), unit);
            using var verify = Process.Start(new ProcessStartInfo(Analyze, ["verify", unit])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
            var output = verify.StandardOutput.ReadToEndAsync();
            var errors = await verify.StandardError.ReadToEndAsync();
            await verify.WaitForExitAsync();

            // systemd only warns about a directive it cannot parse and goes on without it: a warning is a failure here.
            Assert.Equal("", errors.Trim() + (await output).Trim());
            Assert.Equal(0, verify.ExitCode);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tunnel.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no Tunnel.sln above {AppContext.BaseDirectory}");
    }
}
