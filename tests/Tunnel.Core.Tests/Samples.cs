using System.Text;

namespace Tunnel.Core.Tests;

/// <summary>The messages from the issue, as the agents and the central service send them.</summary>
internal static class Samples
{
    public const string PassageTopic = "tunnel/v1/maoliling/north/entry/passage";

    public const string Passage = """
        {"schema":"tunnel.passage.v1","eventId":"3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c","agentId":"maoliling-north-entry-1","seq":1042,"site":"maoliling","bore":"north","portal":"entry","lane":1,"cameraId":"cam-north-entry-1","capturedAt":"2026-11-02T08:15:42.123Z","plate":{"text":"浙J12345","color":"blue","confidence":0.97,"charConfidences":[0.99,0.98,0.97,0.99,0.96,0.99,0.98]},"vehicle":{"class":"truck","confidence":0.91,"hazmat":false,"hazmatConfidence":0.02},"snapshot":"optional reference"}
        """;

    public const string Alarm = """
        {"schema":"tunnel.alarm.v1","alarmId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","kind":"overdue","state":"active-unacknowledged","priority":"high","site":"maoliling","bore":"north","plate":"浙J12345","at":"2026-11-02T08:21:03.000Z"}
        """;

    /// <summary>Shortly after the sample was captured.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 2, 8, 16, 0, TimeSpan.Zero);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
