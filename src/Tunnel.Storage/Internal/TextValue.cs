using System.Text;

namespace Tunnel.Storage.Internal;

internal static class TextValue
{
    /// <summary>
    /// PostgreSQL rejects NUL in text and a strict UTF-8 encoder rejects lone surrogates; such input
    /// (a hostile dead letter, say) must not make a whole batch fail, so both become U+FFFD, for
    /// both providers alike.
    /// </summary>
    public static string Clean(string s)
    {
        var span = s.AsSpan();
        if (span.IndexOf('\0') < 0 && span.IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return s;
        var builder = new StringBuilder(s.Length);
        foreach (var rune in EnumerateLeniently(s)) builder.Append(rune == new Rune(0) ? Rune.ReplacementChar : rune);
        return builder.ToString();
    }

    private static IEnumerable<Rune> EnumerateLeniently(string s)
    {
        for (var i = 0; i < s.Length;)
        {
            if (Rune.DecodeFromUtf16(s.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done) rune = Rune.ReplacementChar;
            yield return rune;
            i += Math.Max(used, 1);
        }
    }
}
