using Tunnel.Storage.Internal;

namespace Tunnel.Storage.Tests;

public sealed class SeqRangesTests
{
    [Fact]
    public void Merge_joins_overlapping_and_adjacent_runs_even_at_the_ends_of_long()
    {
        Assert.Equal([new SeqRange(1, 5), new SeqRange(7, 7)], SeqRanges.Merge([new(4, 5), new(1, 2), new(3, 3), new(7, 7), new(2, 4)]));
        Assert.Equal([new SeqRange(long.MaxValue - 1, long.MaxValue)], SeqRanges.Merge([new(long.MaxValue, long.MaxValue), new(long.MaxValue - 1, long.MaxValue - 1)]));
        Assert.Equal([new SeqRange(long.MinValue, long.MinValue + 1)], SeqRanges.Merge([new(long.MinValue + 1, long.MinValue + 1), new(long.MinValue, long.MinValue)]));
    }

    [Fact]
    public void Progress_counts_from_one()
    {
        var progress = SeqRanges.Progress("a", [new(0, 4), new(6, 6), new(9, 12)]);
        Assert.Equal(4, progress.Contiguous);
        Assert.Equal(12, progress.Highest);
        Assert.Equal([new SeqRange(5, 5), new SeqRange(7, 8)], progress.Gaps);

        var noFirst = SeqRanges.Progress("a", [new(-3, -1), new(3, 4)]);
        Assert.Equal(0, noFirst.Contiguous);
        Assert.Equal([new SeqRange(1, 2)], noFirst.Gaps);
    }

    [Fact]
    public void Progress_holds_the_seqs_stored_and_none_in_its_gaps_or_beyond()
    {
        var progress = SeqRanges.Progress("a", [new(1, 4), new(6, 6), new(9, 12)]);
        Assert.Equal([1L, 2, 3, 4, 6, 9, 10, 11, 12], Enumerable.Range(-1, 16).Select(i => (long)i).Where(progress.Holds));
    }
}
