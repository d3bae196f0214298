using System.Text;
using Tunnel.Core.Contracts;

namespace Tunnel.Core.Tests.Contracts;

/// <summary>The fast status reader returns what the serializer returns, or declines and leaves it to the serializer.</summary>
public sealed class AgentStatusReaderTests
{
    private const string Head = "{\"schema\":\"tunnel.agent-status.v1\",\"agentId\":\"maoliling-north-exit-2\",\"online\":true";
    private const string Where = ",\"site\":\"maoliling\",\"bore\":\"north\",\"portal\":\"exit\",\"lane\":2";

    public static TheoryData<string, bool> Lines => new()
    {
        // Taken: the shapes the agents and the simulator write.
        { Head + Where + ",\"at\":\"2025-06-01T16:00:10.709+00:00\",\"lastSeq\":1}", true },
        { Head + Where + ",\"at\":\"2026-11-24T13:00:00Z\",\"lastSeq\":1050,\"confirmedThrough\":1042}", true },
        { Head + Where + ",\"fps\":24.5,\"queueDepth\":3,\"clockOffsetMs\":-1.25,\"lastError\":\"rtsp \\u65AD\",\"stopped\":false,\"at\":\"2026-11-02T08:15:42Z\",\"lastSeq\":9223372036854775807} \r", true },
        { Head.Replace("true", "false") + ",\"stopped\":true}", true },
        { Head + "}", true },
        { Head.Replace("\"schema\":\"tunnel.agent-status.v1\",", "") + "}", true },
        // Declined: the serializer reads these its own way, or rejects them.
        { Head + ",\"lastSeq\":null}", false },
        { Head + ",\"Online\":true}", false },
        { Head + ",\"online\":false}", false },
        { Head + ",\"lane\":\"2\"}", false },
        { Head + ",\"portal\":\"Exit\"}", false },
        { Head + ",\"online2\":1}", false },
        { Head.Replace(",\"online\":true", "") + "}", false },
        { Head.Replace("true", "\"true\"") + "}", false },
        { Head + ",\"at\":\"soon\"}", false },
        { Head + "}x", false },
        { Head, false },
        { "{\"schema\":\"tunnel.passage.v1\",\"agentId\":\"a\",\"seq\":1}", false },
        { "", false },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_line_is_read_as_the_serializer_reads_it_or_declined(string line, bool taken)
    {
        var utf8 = Encoding.UTF8.GetBytes(line);
        Assert.Equal(taken, AgentStatusReader.TryRead(utf8, out var fast));
        if (taken) Assert.Equal(TunnelJson.Deserialize<AgentStatus>(utf8), fast);
        else Assert.Null(fast);
    }
}
