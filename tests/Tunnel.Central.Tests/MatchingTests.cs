using Tunnel.Central.Matching;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.Central.Tests;

public class MatchingTests
{
    [Fact]
    public void An_exit_with_an_absurdly_long_plate_matches_nobody_and_breaks_nothing()
    {
        // Replay reads files without the schema check, so the fuzzy search must survive any length.
        var traffic = new Traffic();
        traffic.Entry(10, "浙J12345");
        traffic.Exit(180, "浙" + new string('J', 1_000_000));
        Assert.Equal("浙J12345", Assert.Single(traffic.North.Matcher.AllOpen).Plate!.Text);
        Assert.Single(traffic.North.Matcher.Orphans);
    }

    [Fact]
    public void Exact_plate_closes_the_transit_and_occupancy_follows_counts()
    {
        var traffic = new Traffic();
        traffic.Entry(0, "浙J12345");
        traffic.Entry(5, null);
        Assert.Equal(2, traffic.North.Occupancy);
        traffic.Exit(170, "浙J12345");
        Assert.Equal(1, traffic.North.Occupancy);
        Assert.Equal(1, traffic.North.Counters.ExactMatches);
        var inside = Assert.Single(traffic.North.Matcher.AllOpen);
        Assert.Null(inside.Plate);
    }

    [Fact]
    public void Exits_of_vehicles_whose_entries_were_never_counted_do_not_take_occupancy_below_the_vehicles_counted_in()
    {
        // The entry camera was out: two vehicles leave that were never counted in, then one enters.
        var traffic = new Traffic();
        traffic.Exit(100, "浙J11111");
        traffic.Exit(104, "浙J22222");
        Assert.Equal(0, traffic.North.Occupancy);
        traffic.Entry(110, "浙J33333");
        Assert.Equal(1, traffic.North.Occupancy);
        Assert.Equal((1L, 2L), (traffic.North.Counters.Entries, traffic.North.Counters.Exits));
    }

    [Fact]
    public void Misread_exit_with_ocr_confusions_matches_the_right_vehicle()
    {
        var traffic = new Traffic();
        traffic.Entry(0, "浙J12B45");
        traffic.Entry(3, "苏E77777", lane: 2);
        traffic.Exit(168, "浙J1284S"); // B→8 and 5→S
        Assert.Equal(1, traffic.North.Counters.FuzzyMatches);
        var inside = Assert.Single(traffic.North.Matcher.AllOpen);
        Assert.Equal("苏E77777", inside.Plate!.Text);
    }

    [Fact]
    public void A_plate_too_different_from_every_vehicle_inside_stays_unmatched()
    {
        var traffic = new Traffic();
        traffic.Entry(0, "浙J12345");
        traffic.Exit(170, "沪C99871");
        Assert.Equal(0, traffic.North.Counters.FuzzyMatches + traffic.North.Counters.ExactMatches);
        Assert.Equal(1, traffic.North.Counters.UnmatchedExits);
        Assert.Equal(0, traffic.North.Occupancy);
    }

    [Fact]
    public void An_exit_too_soon_after_entry_is_not_the_same_vehicle()
    {
        var traffic = new Traffic();
        traffic.Entry(0, "浙J12345");
        traffic.Exit(20, "浙J12345"); // 3.6 km in 20 s is 650 km/h
        Assert.Equal(0, traffic.North.Counters.ExactMatches);
    }

    [Fact]
    public void Duplicate_event_ids_change_nothing()
    {
        var traffic = new Traffic();
        var entry = traffic.Entry(0, "浙J12345");
        traffic.Send(entry);
        traffic.Send(entry with { });
        Assert.Equal(1, traffic.North.Counters.Entries);
        Assert.Equal(2, traffic.Engine.Duplicates);
    }

    [Fact]
    public void An_exit_that_arrives_before_its_late_entry_is_matched_when_the_entry_comes()
    {
        var traffic = new Traffic();
        var entry = new Traffic().Entry(0, "浙J12345");
        traffic.Exit(170, "浙J12345");
        traffic.Send(entry, deliveredAtSeconds: 175);
        Assert.Equal(1, traffic.North.Counters.ExactMatches);
        Assert.Equal(0, traffic.North.Matcher.OpenCount);
    }

    [Fact]
    public void A_wrong_fuzzy_match_is_undone_when_the_vehicle_own_exit_turns_up()
    {
        var traffic = new Traffic();
        traffic.Entry(0, "浙J17345");
        traffic.Entry(4, "浙J12345");
        // Really 浙J17345 with 7 misread as Z; Z/2 is the cheaper confusion, so it closes 浙J12345.
        traffic.Exit(168, "浙J1Z345");
        Assert.Equal(1, traffic.North.Counters.FuzzyMatches);
        Assert.Equal("浙J17345", Assert.Single(traffic.North.Matcher.AllOpen).Plate!.Text);

        traffic.Exit(172, "浙J12345");

        Assert.Equal(1, traffic.North.Counters.Rematched);
        Assert.Equal(1, traffic.North.Counters.UnmatchedExits);
        var inside = Assert.Single(traffic.North.Matcher.AllOpen);
        Assert.Equal("浙J17345", inside.Plate!.Text);
        // The freed exit read is now the best explanation of where 浙J17345 went.
        Assert.Equal("浙J1Z345", inside.ProbableExit?.Passage.Plate?.Text);
    }

    [Fact]
    public void The_managers_transit_times_are_of_the_transits_the_matcher_closes_by_plate_and_no_other()
    {
        // The store picks them by the status text the service writes, the match's name: a renamed or added match must be decided there too.
        Assert.Equal([TunnelJson.Name(ExitMatch.Exact), TunnelJson.Name(ExitMatch.Fuzzy)], TunnelStore.PlateMatchedStatuses);
        Assert.Equal(["none", "exact", "fuzzy", "inferred", "given-up", "seen-leaving"], Enum.GetValues<ExitMatch>().Select(m => TunnelJson.Name(m)));
    }
}
