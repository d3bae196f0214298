using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;

namespace Tunnel.Core.Tests;

public class PlateSimilarityTests
{
    [Fact]
    public void The_same_read_is_no_distance() => Assert.Equal(0, PlateSimilarity.Distance("浙J12345", null, "浙J12345", null));

    [Theory]
    [InlineData("浙J1234S", "浙J12345")] // 5/S
    [InlineData("浙J12B45", "浙J12845")] // 8/B
    [InlineData("浙JD2345", "浙J02345")] // 0/D
    public void An_ocr_confusion_costs_less_than_a_different_character(string misread, string truth)
    {
        var confused = PlateSimilarity.Distance(misread, null, truth, null);
        var different = PlateSimilarity.Distance("浙J1234X", null, truth[..^1] + "5", null);
        Assert.InRange(confused, 0.01, different - 0.1);
    }

    [Fact]
    public void A_province_character_for_another_is_cheaper_than_a_serial_character()
    {
        Assert.True(PlateSimilarity.Distance("湘J12345", null, "浙J12345", null) < PlateSimilarity.Distance("浙J12349", null, "浙J12345", null));
    }

    [Fact]
    public void Disagreeing_where_a_camera_was_unsure_costs_less()
    {
        var sure = new PlateRead { Text = "浙J12349", CharConfidences = [0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99] };
        var unsure = sure with { CharConfidences = [0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.4] };
        var truth = new PlateRead { Text = "浙J12345" };
        Assert.True(PlateSimilarity.Distance(unsure, truth) < PlateSimilarity.Distance(sure, truth));
    }

    [Fact]
    public void A_dropped_character_is_one_edit_not_a_shifted_plate()
    {
        var dropped = PlateSimilarity.Distance("J12345", null, "浙J12345", null);
        Assert.InRange(dropped, 0.5, 1.0);
    }

    [Fact]
    public void Stopping_early_gives_the_same_distance_below_the_limit_and_something_above_it_otherwise()
    {
        var random = new Random(7);
        const string alphabet = "浙湘粤ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
        string Plate() => new([.. Enumerable.Range(0, random.Next(6, 9)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
        double[] Confidences(string text) => [.. text.Select(_ => random.NextDouble())];
        var below = 0;
        for (var k = 0; k < 5_000; k++)
        {
            var a = Plate();
            // Half the pairs a close variant (one character changed), so both sides of the limit are exercised.
            var b = k % 2 == 0 ? Plate() : a[..^1] + alphabet[random.Next(alphabet.Length)];
            var (ca, cb) = (Confidences(a), Confidences(b));
            var full = PlateSimilarity.Distance(a, ca, b, cb);
            var stopped = PlateSimilarity.Distance(a, ca, b, cb, stopAbove: 1.25);
            if (full <= 1.25)
            {
                Assert.Equal(full, stopped);
                below++;
            }
            else Assert.True(stopped > 1.25, $"{a} vs {b}: {stopped} for a full {full}");
        }
        Assert.InRange(below, 1_000, 4_000);
    }

    [Fact]
    public void A_search_cut_short_at_any_bound_gives_the_distance_of_a_nearby_read_exactly()
    {
        // Sure reads a few edits apart, confusable characters and provinces among them: the pairs a search
        // must not turn away, at bounds all around their distances.
        var random = new Random(11);
        const string alphabet = "浙湘粤0DQ8B25S17T6GA4CHNMK9X";
        string Edit(string text)
        {
            var at = random.Next(text.Length);
            var c = alphabet[random.Next(alphabet.Length)];
            return random.Next(3) switch
            {
                0 => text.Remove(at, 1),
                1 => text.Insert(at, c.ToString()),
                _ => text.Remove(at, 1).Insert(at, c.ToString()),
            };
        }
        double[] Confidences(string text) => [.. text.Select(_ => random.NextDouble() < 0.1 ? random.NextDouble() : 0.9 + 0.1 * random.NextDouble())];
        var (cut, kept) = (0, 0);
        for (var k = 0; k < 20_000; k++)
        {
            var a = "浙" + new string([.. Enumerable.Range(0, 6).Select(_ => alphabet[3 + random.Next(alphabet.Length - 3)])]);
            var b = a;
            for (var edits = random.Next(4); edits > 0; edits--) b = Edit(b);
            var (ca, cb) = (Confidences(a), Confidences(b));
            var full = PlateSimilarity.Distance(a, ca, b, cb);
            var bound = 3 * random.NextDouble();
            var stopped = PlateSimilarity.Distance(a, ca, b, cb, bound);
            if (full <= bound) { Assert.Equal(full, stopped); kept++; }
            else { Assert.True(stopped > bound, $"{a} vs {b}: {stopped} within {bound}, the whole distance is {full}"); cut++; }
        }
        Assert.True(cut > 2_000 && kept > 2_000, $"{kept} kept and {cut} cut short: both sides of the bound must be exercised");
    }
}
