using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>Which exit, seen or still missing, a vehicle that looks stopped may have left by.</summary>
public class ExitEvidenceTests
{
    [Fact]
    public void A_late_exit_passage_behind_a_sequence_gap_outweighs_a_follower_that_left_just_before_it()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        traffic.Entry(t + 10, "浙J12345", lane: 1);
        traffic.Entry(t + 12, "浙K00001", lane: 1);
        traffic.Entry(t + 14, "浙K00002", lane: 1);
        traffic.Entry(t + 18, "浙K00003", lane: 1);
        // Two followers squeeze past near the end; the vehicle's own exit passage is held up on its way,
        // and the next one shows the exit camera's sequence gap where it belongs, just after them.
        traffic.Exit(t + 170, "浙K00001", lane: 1);
        traffic.Exit(t + 172, "浙K00002", lane: 1);
        var late = traffic.Exit(t + 176, "浙J12345", lane: 1, deliver: false);
        traffic.Exit(t + 180, "浙K00003", lane: 1);
        traffic.Clock(t + 176 + 100);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue));

        traffic.Send(late, deliveredAtSeconds: t + 176 + 110);
        traffic.Clock(t + 2000);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(0, traffic.North.Matcher.OpenCount);
    }
}
