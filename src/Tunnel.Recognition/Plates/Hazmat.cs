namespace Tunnel.Recognition.Plates;

/// <summary>
/// The words 危险 / 危险品 / 危 (GB 13392's marking and the roof lamp's text) read by the same OCR;
/// the signs themselves (panel, placards, lamp) are <see cref="HazmatSigns"/>.
/// </summary>
public static class Hazmat
{
    /// <summary>Confidence that a free (unconstrained) reading is a hazmat sign.</summary>
    public static double FromText(string text)
    {
        if (text.Contains("危险")) return 0.95;
        if (text.Contains('危') || text.Contains("险品")) return 0.7;
        return 0;
    }
}
