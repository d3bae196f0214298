using Tunnel.Core.Validation;

namespace Tunnel.Core.Tests.Validation;

public class PlateTextRuleTests
{
    [Theory]
    [InlineData("浙J12345")]    // ordinary blue plate
    [InlineData("浙AD12345")]   // new-energy (green) plate, 8 characters
    [InlineData("粤Z1234港")]   // cross-border
    [InlineData("浙A1234学")]   // learner
    [InlineData("浙J1234挂")]   // trailer
    [InlineData("使014578")]    // embassy
    [InlineData("WJ浙12345")]   // armed police
    [InlineData("浙A1234应急")] // emergency
    [InlineData("J12345")]      // province not read
    [InlineData("浙J")]         // partial read
    public void Plausible(string text) => Assert.Null(PlateTextRule.Check(text));

    [Theory]
    [InlineData("浙")]               // too short
    [InlineData("浙J123456789012")]  // too long
    [InlineData("<script>")]
    [InlineData("浙J12&45")]
    [InlineData("浙J\"1234")]
    [InlineData("浙j12345")]         // lower case
    [InlineData("浙J 12345")]
    [InlineData("浙J1234\n")]
    [InlineData("ＡＢ１２３")]       // full width
    [InlineData("蒋J12345")]         // not a province
    [InlineData("浙浙")]
    [InlineData("XYZ浙")]
    [InlineData("浙J12345学警港")]   // three suffix characters
    [InlineData("🚗J12345")]
    [InlineData("浙J1234\u202e5")]   // bidi override
    public void Implausible(string text) => Assert.NotNull(PlateTextRule.Check(text));

    /// <summary>The shortcut for plate characters must count exactly as the grapheme segmentation does, whatever the text.</summary>
    [Theory]
    [InlineData("浙J12345")]
    [InlineData("浙A1234应急")]
    [InlineData("")]
    [InlineData("e\u0301")]             // a combining accent joins the letter before it
    [InlineData("J\u0301")]             // also after an upper-case letter a plate may hold
    [InlineData("浙\u0301J")]
    [InlineData("\r\n")]                // one element of two chars
    [InlineData("浙J1234\r\n")]
    [InlineData("🚗J12345")]             // a surrogate pair is one element
    [InlineData("👨\u200d👩\u200d👧")]    // joined by zero-width joiners
    [InlineData("浙J1234\u202e5")]
    [InlineData("ＡＢ１２３")]
    public void Counts_characters_as_text_elements(string text) =>
        Assert.Equal(new System.Globalization.StringInfo(text).LengthInTextElements, PlateTextRule.CountCharacters(text));
}
