using Microsoft.Extensions.Configuration;
using Tunnel.Central.Overdue;

namespace Tunnel.Cli.Tests;

public class ShippedConfigurationTests
{
    /// <summary>
    /// appsettings.json spells out the detector's levels so operators see what to tune, and the README's
    /// figures are measured with the code's defaults: the file must not say otherwise (it once kept the
    /// level of 9 after the defaults moved to 8.5).
    /// </summary>
    [Fact]
    public void The_detector_settings_shipped_in_appsettings_are_the_measured_defaults()
    {
        var shipped = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .Build()
            .GetSection("Tunnel:Detector");

        Assert.True(shipped.Exists(), "appsettings.json has no Tunnel:Detector section");
        Assert.Equal(new DetectorSettings(), shipped.Get<DetectorSettings>());
    }
}
