using Tunnel.Recognition.Models;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

public class PlateGrammarTests
{
    [Theory]
    [InlineData("浙A12345")]
    [InlineData("粤OA2160")]   // 粤O police series: O allowed as the authority letter
    [InlineData("皖KD01833")]  // small new-energy
    [InlineData("京A12345D")]  // large new-energy
    [InlineData("渝B3587学")]
    [InlineData("沪A1707领")]
    [InlineData("粤Z1234港")]
    public void Accepts_GA36_shapes(string plate) => Assert.True(PlateGrammar.IsValid(plate));

    [Theory]
    [InlineData("浙A1234")]      // too short
    [InlineData("AA12345")]      // no province
    [InlineData("浙112345")]     // digit as authority letter
    [InlineData("浙AO2345")]     // O in the serial
    [InlineData("浙AI2345")]     // I in the serial
    [InlineData("浙A12345学")]   // suffix after five serials
    [InlineData("浙A1234XY")]    // 8 characters that are no new-energy serial
    public void Rejects_what_no_plate_can_be(string plate) => Assert.False(PlateGrammar.IsValid(plate));
}

public class CtcDecoderTests
{
    private static readonly Lazy<CharDictionary> Dict = new(() => new CharDictionary(ModelStore.Open().PathOf("dictionary")));

    /// <summary>Builds [T, classes] probabilities: each frame puts <paramref name="p"/> on its class and spreads the rest.</summary>
    private static float[] Frames(CharDictionary d, IEnumerable<(string Symbol, float P, string? Runner)> frames, out int count)
    {
        var list = frames.ToList();
        count = list.Count;
        var classes = d.ClassCount;
        var probs = new float[count * classes];
        for (var t = 0; t < count; t++)
        {
            var (symbol, p, runner) = list[t];
            var cls = symbol == "" ? 0 : d.IndexOf(symbol);
            Assert.True(cls >= 0, $"'{symbol}' not in the dictionary");
            var rest = 1 - p;
            if (runner is not null)
            {
                probs[t * classes + d.IndexOf(runner)] = rest * 0.9f;
                rest *= 0.1f;
            }
            for (var c = 0; c < classes; c++) probs[t * classes + c] += rest / classes;
            probs[t * classes + cls] += p;
        }
        return probs;
    }

    private static IEnumerable<(string, float, string?)> Spell(string text, float p = 0.95f)
    {
        yield return ("", 0.99f, null);
        foreach (var ch in text)
        {
            yield return (ch.ToString(), p, null);
            yield return (ch.ToString(), p, null);
            yield return ("", 0.99f, null);
        }
    }

    [Fact]
    public void Reads_a_clean_plate_with_repeated_characters()
    {
        var d = Dict.Value;
        var probs = Frames(d, Spell("浙A88888"), out var n);
        var decoder = new CtcDecoder(d);
        Assert.Equal("浙A88888", decoder.Greedy(probs, n, d.ClassCount).Text);
        var c = decoder.Constrained(probs, n, d.ClassCount)!;
        Assert.Equal("浙A88888", c.Text);
        Assert.Equal(7, c.CharConfidences.Length);
        Assert.All(c.CharConfidences, p => Assert.True(p > 0.9));
    }

    [Fact]
    public void Grammar_overrules_a_confident_illegal_character()
    {
        var d = Dict.Value;
        // The serial's third character looks like 日 (illegal there) with 8 as the runner-up.
        var frames = Spell("浙A1").ToList();
        frames.Add(("日", 0.7f, "8"));
        frames.Add(("", 0.99f, null));
        frames.AddRange(Spell("345").Skip(1));
        var probs = Frames(d, frames, out var n);
        var decoder = new CtcDecoder(d);
        Assert.Equal("浙A1日345", decoder.Greedy(probs, n, d.ClassCount).Text);
        var c = decoder.Constrained(probs, n, d.ClassCount)!;
        Assert.Equal("浙A18345", c.Text);
        Assert.True(c.CharConfidences[3] < 0.5, "the forced character carries its low probability");
    }

    [Fact]
    public void A_serial_I_or_O_is_the_digit_it_looks_like()
    {
        var d = Dict.Value;
        var probs = Frames(d, Spell("浙A1O3I5"), out var n);
        var decoder = new CtcDecoder(d);
        var free = decoder.Greedy(probs, n, d.ClassCount);
        var c = decoder.Constrained(probs, n, d.ClassCount)!;
        Assert.Equal("浙A10315", c.Text);
        // GA 36 has no I or O in serials because they look like 1 and 0: nothing was forced.
        Assert.All(c.CharConfidences, p => Assert.True(p > 0.9));
        Assert.InRange(free.LogScore - c.LogScore, -1e-6, 0.01);
    }

    [Fact]
    public void Recovers_a_weak_province_character()
    {
        var d = Dict.Value;
        // The province frame is mostly blank: greedy drops it, the grammar needs it.
        var frames = new List<(string, float, string?)> { ("", 0.6f, "皖") };
        frames.AddRange(Spell("A12345"));
        var probs = Frames(d, frames, out var n);
        var decoder = new CtcDecoder(d);
        Assert.Equal("A12345", decoder.Greedy(probs, n, d.ClassCount).Text);
        Assert.Equal("皖A12345", decoder.Constrained(probs, n, d.ClassCount)!.Text);
    }

    [Fact]
    public void Reads_suffix_and_new_energy_plates()
    {
        var d = Dict.Value;
        var decoder = new CtcDecoder(d);
        foreach (var plate in new[] { "渝B3587学", "皖KD01833", "京A12345D" })
        {
            var probs = Frames(d, Spell(plate), out var n);
            Assert.Equal(plate, decoder.Constrained(probs, n, d.ClassCount)!.Text);
        }
    }

    [Fact]
    public void The_dot_after_the_authority_letter_costs_the_plate_nothing()
    {
        var d = Dict.Value;
        var frames = Spell("浙A").ToList();
        frames.Add(("·", 0.95f, null));
        frames.AddRange(Spell("12345").Skip(1));
        var probs = Frames(d, frames, out var n);
        var decoder = new CtcDecoder(d);
        var free = decoder.Greedy(probs, n, d.ClassCount);
        Assert.Equal("浙A·12345", free.Text);
        var plate = decoder.Constrained(probs, n, d.ClassCount)!;
        Assert.Equal("浙A12345", plate.Text);
        // The penalty (how much the grammar forced) is what decides whether a reading counts as a plate.
        Assert.InRange(free.LogScore - plate.LogScore, -1e-6, 0.01);
    }

    [Fact]
    public void A_double_row_plate_reads_as_seven_characters()
    {
        var d = Dict.Value;
        var probs = Frames(d, Spell("皖KD01833"), out var n);
        var decoder = new CtcDecoder(d);
        Assert.Equal("皖KD01833", decoder.Constrained(probs, n, d.ClassCount)!.Text);
        // New-energy plates are all single-row: read as the rows of a double-row plate, the same frames give seven characters.
        Assert.Equal(7, decoder.Constrained(probs, n, d.ClassCount, doubleRow: true)!.Text.Length);
    }

    [Fact]
    public void Too_few_frames_give_no_plate()
    {
        var d = Dict.Value;
        var probs = Frames(d, Spell("浙A").Take(5), out var n);
        Assert.Null(new CtcDecoder(d).Constrained(probs, n, d.ClassCount));
    }
}
