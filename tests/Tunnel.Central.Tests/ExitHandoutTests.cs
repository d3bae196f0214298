using Tunnel.Central.Matching;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Tests;

/// <summary>Who gets which unmatched exit, when more than one vehicle could have left by it.</summary>
public class ExitHandoutTests
{
    private const double Never = double.PositiveInfinity;

    [Fact]
    public void The_assignment_is_the_cheapest_for_all_not_for_the_first_to_choose()
    {
        // Vehicle 0 fits exit 0 best, but vehicle 1 fits nothing else: cheapest first would strand 1.
        var cost = new[,] { { 1.0, 2.0 }, { 1.5, Never } };
        Assert.Equal([1, 0], ExitAssignment.Solve(cost, stay: [9, 9]));
    }

    [Fact]
    public void A_vehicle_takes_no_exit_that_costs_more_than_staying()
    {
        var cost = new[,] { { 5.0, 8.0 }, { 4.0, 3.0 } };
        // Vehicle 0 is fine inside (stay 4): the exits go elsewhere or nowhere.
        Assert.Equal([-1, 1], ExitAssignment.Solve(cost, stay: [4, 9]));
        Assert.Equal([-1, -1], ExitAssignment.Solve(new double[2, 0], stay: [4, 9]));
    }

    [Fact]
    public void An_exit_whose_plate_fits_nobody_goes_to_the_unread_entry_and_the_unread_exit_to_the_named_vehicle()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        traffic.Entry(t + 10, "浙J12345", lane: 1);
        traffic.Entry(t + 16, null, lane: 1);                // plate unread at the entry
        for (var i = 0; i < 5; i++) traffic.Entry(t + 22 + 6 * i, $"浙K0000{i}", lane: 1);
        traffic.Exit(t + 10 + 165, null, lane: 1);          // 浙J12345, plate unread at the exit
        traffic.Exit(t + 16 + 166, "苏E99999", lane: 1);     // the unread-entry vehicle, read here
        for (var i = 0; i < 5; i++) traffic.Exit(t + 22 + 6 * i + 166, $"浙K0000{i}", lane: 1);
        traffic.Clock(t + 2000);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(0, traffic.North.Matcher.OpenCount);
    }

    [Fact]
    public void A_late_exit_passage_is_waited_for_rather_than_closing_on_a_poorer_unmatched_exit()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        traffic.Entry(t + 20, "浙J22222", lane: 1);
        for (var i = 0; i < 5; i++) traffic.Entry(t + 26 + 6 * i, $"浙K0000{i}", lane: 1);
        // An unread exit that fits it only with its class misread, and its own exit passage, late.
        traffic.Exit(t + 190, null, lane: 1, cls: VehicleClass.Van);
        var late = traffic.Exit(t + 192, "浙J22222", lane: 1, deliver: false);
        for (var i = 0; i < 5; i++) traffic.Exit(t + 26 + 6 * i + 172, $"浙K0000{i}", lane: 1);
        traffic.Clock(t + 192 + 110);
        traffic.Send(late, deliveredAtSeconds: t + 192 + 110);
        traffic.Clock(t + 2000);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue));
        Assert.Equal(0, traffic.North.Counters.InferredExits);
        Assert.Equal(0, traffic.North.Counters.Rematched);
    }

    [Fact]
    public void A_lane_changer_with_an_unread_entry_leaves_by_the_exit_nobody_else_explains()
    {
        var traffic = new Traffic();
        var t = traffic.Warmup(120);
        traffic.Entry(t + 10, null, lane: 2, cls: VehicleClass.Truck);
        for (var i = 0; i < 6; i++) traffic.Entry(t + 14 + 6 * i, $"浙K0000{i}", lane: 2);
        // It changed into lane 1 and its class was misread there: a poor fit on two counts, but
        // the only vehicle the exit fits at all.
        traffic.Exit(t + 10 + 190, "苏E99999", lane: 1, cls: VehicleClass.Van);
        for (var i = 0; i < 6; i++) traffic.Exit(t + 14 + 6 * i + 166, $"浙K0000{i}", lane: 2);
        traffic.Clock(t + 2000);
        Assert.Empty(traffic.Raised(AlarmKind.Overdue).Select(a => $"{a.At - Traffic.T0.AddSeconds(t)} {a.Plate} {a.Reason}"));
        Assert.Equal(1, traffic.North.Counters.InferredExits);
    }
}
