namespace Tunnel.Recognition.Plates;

/// <summary>
/// Two readings of one plate, from differently scaled inputs: each serial character is taken from the reading
/// that is surer of it.
/// </summary>
public static class ReadingFusion
{
    /// <summary>Index of the first serial character: the province and the authority letter come before it.</summary>
    public const int SerialStart = 2;

    /// <summary>
    /// The first reading with each serial character replaced by the second's where the second is surer of it.
    /// The first reading unchanged when the two differ in length or the fusion would not spell a valid plate.
    /// </summary>
    public static (string Text, double[] Confidences) FuseSerial(string first, IReadOnlyList<double> firstConf, string second, IReadOnlyList<double> secondConf)
    {
        var text = first.ToCharArray();
        var conf = firstConf.ToArray();
        if (first.Length != second.Length) return (first, conf);
        for (var i = SerialStart; i < text.Length; i++)
        {
            if (secondConf[i] <= conf[i]) continue;
            text[i] = second[i];
            conf[i] = secondConf[i];
        }
        var fused = new string(text);
        return PlateGrammar.IsValid(fused) ? (fused, conf) : (first, firstConf.ToArray());
    }
}
