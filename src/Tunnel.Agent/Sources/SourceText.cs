namespace Tunnel.Agent.Sources;

/// <summary>How a camera source is shown: in logs, errors and the status, which reach the central service and alarm reasons.</summary>
public static class SourceText
{
    /// <summary>
    /// The source without the camera's login: <c>rtsp://admin:pw@10.0.0.5/live</c> is shown as
    /// <c>rtsp://***@10.0.0.5/live</c>. Everything up to the last '@' goes, since cameras accept
    /// passwords with an unencoded '@'; a path with an '@' hides a little more than needed, never less.
    /// </summary>
    public static string Redact(string source)
    {
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return source;
        var start = scheme + 3;
        var at = source.LastIndexOf('@');
        return at < start ? source : string.Concat(source.AsSpan(0, start), "***", source.AsSpan(at));
    }

    /// <summary><paramref name="text"/> (an error from the decoder, say) with <paramref name="source"/> redacted wherever it is quoted.</summary>
    public static string Redact(string text, string source) => text.Replace(source, Redact(source), StringComparison.Ordinal);
}
