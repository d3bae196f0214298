using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Tests.Support;

/// <summary>One plate reader per test class: loading the models takes a moment.</summary>
public sealed class PlateReaderFixture : IDisposable
{
    public PlateReader Reader { get; } = PlateReader.Create();

    public void Dispose() => Reader.Dispose();
}
