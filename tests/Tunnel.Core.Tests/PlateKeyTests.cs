using System.Text;
using Tunnel.Core.Plates;

namespace Tunnel.Core.Tests;

/// <summary>
/// Storage's schema 8 re-keys saved contacts with <see cref="PlateKey.Of"/>: it must give a key back unchanged (a second run,
/// or a contact saved under its key already, moves nothing), and the ways people type one plate must meet at the key the
/// cameras read, or an alarm's lookup misses the contact.
/// </summary>
public class PlateKeyTests
{
    [Theory]
    // As the cameras read plates (PlateTextRule): already keys, or stored keys of such plates would move.
    [InlineData("浙C9H907", "浙C9H907")]
    [InlineData("浙AD12345", "浙AD12345")]
    [InlineData("WJ浙12345", "WJ浙12345")]
    [InlineData("使014578", "使014578")]
    [InlineData("粤Z1234港", "粤Z1234港")]
    [InlineData("川A1234应急", "川A1234应急")]
    // Mixed case and the separators of printed lists.
    [InlineData("浙c 9h·907", "浙C9H907")]
    [InlineData("浙c9H907", "浙C9H907")]
    [InlineData("浙C•9H907", "浙C9H907")]
    [InlineData("浙C-9H907", "浙C9H907")]
    [InlineData("浙C.9H907", "浙C9H907")]
    [InlineData(" 浙C\t9H907\r\n", "浙C9H907")]
    [InlineData("浙C\u00A09H907", "浙C9H907")] // no-break space
    [InlineData("浙C\u30009H907", "浙C9H907")] // ideographic space
    // Full-width, as a Chinese input method types them, and other compatibility forms.
    [InlineData("浙Ｃ９Ｈ９０７", "浙C9H907")]
    [InlineData("浙ｃ９ｈ９０７", "浙C9H907")]
    [InlineData("浙Ｃ·９Ｈ．９０７", "浙C9H907")]
    [InlineData("浙Ｃ－９Ｈ９０７", "浙C9H907")]
    [InlineData("浙Ⓒ⑨Ⓗ⑨⓪⑦", "浙C9H907")]
    [InlineData("浙\U0001D402\U0001D7D7\U0001D407\U0001D7D7\U0001D7CE\U0001D7D5", "浙C9H907")] // mathematical bold 𝐂𝟗𝐇𝟗𝟎𝟕
    // Other middle dots and dashes people type or paste between a plate's groups.
    [InlineData("浙C\u30FB9H907", "浙C9H907")] // katakana middle dot ・
    [InlineData("浙C\uFF659H907", "浙C9H907")] // half-width katakana middle dot ･
    [InlineData("浙C\u22C59H907", "浙C9H907")] // dot operator ⋅
    [InlineData("浙C\u22199H907", "浙C9H907")] // bullet operator ∙
    [InlineData("浙C\u20279H907", "浙C9H907")] // hyphenation point ‧
    [InlineData("浙C\u03879H907", "浙C9H907")] // Greek ano teleia, canonically a middle dot
    [InlineData("浙C\u20109H907", "浙C9H907")] // hyphen ‐
    [InlineData("浙C\u20119H907", "浙C9H907")] // non-breaking hyphen
    [InlineData("浙C\u20139H907", "浙C9H907")] // en dash
    [InlineData("浙C\u20149H907", "浙C9H907")] // em dash
    [InlineData("浙C\u22129H907", "浙C9H907")] // minus sign
    [InlineData("浙C\uFE639H907", "浙C9H907")] // small hyphen-minus
    [InlineData("浙C_9H907", "浙C9H907")]
    [InlineData("浙C/9H907", "浙C9H907")]
    [InlineData("浙C\u30029H907", "浙C9H907")] // ideographic full stop 。
    // Invisible characters pasted along with a plate: zero-width space, joiners, byte order mark, word joiner, soft hyphen.
    [InlineData("浙C\u200B9H907", "浙C9H907")]
    [InlineData("浙C\u200C9H\u200D907", "浙C9H907")]
    [InlineData("\uFEFF浙C9H907", "浙C9H907")]
    [InlineData("浙C\u20609H907", "浙C9H907")]
    [InlineData("浙C\u00AD9H907", "浙C9H907")]
    // Combining marks: a slashed zero typed as 0 and a combining long solidus, accents composed or not.
    [InlineData("浙C9H90\u03387", "浙C9H907")]
    [InlineData("浙C\u03009H907", "浙C9H907")]
    [InlineData("浙À1234", "浙A1234")]
    [InlineData("浙A\u03001234", "浙A1234")]
    // A separator between a letter and an accent, or between Hangul jamo: dropped, it lets them join, in the first key and not a second.
    [InlineData("浙A·\u03011234", "浙A1234")]
    [InlineData("\u1100 \u1161", "\uAC00")]
    // Province and suffix characters in the compatibility forms Unicode folds to them.
    [InlineData("\u2F62A12345", "甘A12345")] // Kangxi radical sweet ⽢
    [InlineData("\u2FCAA12345", "黑A12345")] // Kangxi radical black ⿊
    [InlineData("\uFA75A12345", "冀A12345")] // CJK compatibility ideograph
    [InlineData("\U0001F21FA12345", "新A12345")] // squared 新
    [InlineData("粤Z1234\U0002F908", "粤Z1234港")] // CJK compatibility ideograph supplement
    [InlineData("浙A1234\u32AB", "浙A1234学")] // circled 学
    [InlineData("浙A1234\u323B", "浙A1234学")] // parenthesized (学)
    public void Each_way_of_typing_a_plate_gives_the_plate_the_cameras_read_and_that_key_again(string typed, string read)
    {
        var key = PlateKey.Of(typed);
        Assert.Equal(Escaped(read), Escaped(key));
        Assert.Equal(Escaped(key), Escaped(PlateKey.Of(key)));
    }

    [Theory]
    [InlineData("·")]
    [InlineData(" - . ")]
    [InlineData("\u200B")]
    [InlineData("\uFEFF\u00AD\u2060")]
    [InlineData("\u0301")]
    [InlineData("（）")]
    public void A_plate_of_separators_marks_and_invisible_characters_alone_has_no_key(string typed) =>
        // Schema 8 leaves such a contact as it was, and the contacts API refuses it: neither works unless the key is empty.
        Assert.Equal("", Escaped(PlateKey.Of(typed)));

    [Fact]
    public void What_normalising_refuses_a_lone_surrogate_or_a_noncharacter_is_dropped_rather_than_failing_the_save_or_the_upgrade()
    {
        Assert.Equal("浙C9H907", PlateKey.Of("浙C\uD8009H907"));
        Assert.Equal("浙C9H907", PlateKey.Of("浙C9H\uDFFF907"));
        Assert.Equal("浙C9H907", PlateKey.Of("浙C\uFFFE9H907\uFDD0"));
        Assert.Equal("浙C9H907", PlateKey.Of("浙C9H907\U0010FFFF"));
    }

    /// <summary>
    /// Applying the key twice must change nothing, whatever was typed: every code point, alone among plate characters, and
    /// between characters that Unicode joins once nothing stands between them (a letter and a combining accent, two Hangul
    /// jamo), where dropping the character in the middle is what lets them join.
    /// </summary>
    [Fact]
    public void Applied_to_its_own_key_it_gives_that_key_for_every_code_point_and_for_neighbours_it_lets_join()
    {
        var changed = new List<string>();
        for (var cp = 0; cp <= 0x10FFFF; cp++)
        {
            // A surrogate alone, as a string from outside may hold one.
            var c = cp is >= 0xD800 and <= 0xDFFF ? ((char)cp).ToString() : char.ConvertFromUtf32(cp);
            foreach (var typed in (string[])["浙C" + c + "9H907", "浙A" + c + "\u03011234", "\u1100" + c + "\u1161"])
            {
                var key = PlateKey.Of(typed);
                if (PlateKey.Of(key) != key && changed.Count < 20) changed.Add($"{Escaped(typed)}: {Escaped(key)} then {Escaped(PlateKey.Of(key))}");
            }
        }
        Assert.True(changed.Count == 0, string.Join(Environment.NewLine, changed));
    }

    /// <summary>Anything but ASCII and common Han characters named by code point: invisible and look-alike characters differ visibly in a failure.</summary>
    private static string Escaped(string s)
    {
        var shown = new StringBuilder();
        foreach (var r in s.EnumerateRunes())
            shown.Append(r.Value is >= 0x21 and < 0x7F or >= 0x4E00 and <= 0x9FFF ? r.ToString() : $"<U+{r.Value:X4}>");
        return shown.ToString();
    }
}
