using Tunnel.Agent.Sources;

namespace Tunnel.Agent.Tests.Sources;

public sealed class SourceTextTests
{
    [Theory]
    [InlineData("rtsp://admin:s3cret@10.0.0.5:554/Streaming/Channels/101", "rtsp://***@10.0.0.5:554/Streaming/Channels/101")]
    [InlineData("rtsp://admin@10.0.0.5/live", "rtsp://***@10.0.0.5/live")]
    // Cameras take an unencoded '@' in the password; it must not leave half of it behind.
    [InlineData("rtsp://admin:p@ss@10.0.0.5/live", "rtsp://***@10.0.0.5/live")]
    [InlineData("http://10.0.0.5/cam", "http://10.0.0.5/cam")]
    [InlineData("/data/clips/portal.mp4", "/data/clips/portal.mp4")]
    public void Shows_a_source_without_its_login(string source, string shown) => Assert.Equal(shown, SourceText.Redact(source));

    [Fact]
    public void Redacts_the_source_where_an_error_quotes_it()
    {
        const string source = "rtsp://admin:s3cret@10.0.0.5/live";
        Assert.Equal("cannot open rtsp://***@10.0.0.5/live: timeout", SourceText.Redact($"cannot open {source}: timeout", source));
    }
}
