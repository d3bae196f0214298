using Tunnel.Core.Contracts;

namespace Tunnel.Core.Validation;

/// <summary>The passage topic <c>tunnel/v1/{site}/{bore}/{portal}/passage</c>, taken apart.</summary>
public readonly record struct PassageTopic(string Site, string Bore, Portal Portal)
{
    public override string ToString() => Format(Site, Bore, Portal);

    public static string Format(string site, string bore, Portal portal) => $"tunnel/v1/{site}/{bore}/{TunnelJson.Name(portal)}/passage";

    public static bool TryParse(string? topic, out PassageTopic parsed)
    {
        parsed = default;
        if (topic is null || topic.Length > 256) return false;
        var span = topic.AsSpan();
        Span<Range> levels = stackalloc Range[7];
        if (span.Split(levels, '/') != 6) return false;
        if (!span[levels[0]].SequenceEqual("tunnel") || !span[levels[1]].SequenceEqual("v1") || !span[levels[5]].SequenceEqual("passage")) return false;
        Portal portal;
        if (span[levels[4]].SequenceEqual("entry")) portal = Portal.Entry;
        else if (span[levels[4]].SequenceEqual("exit")) portal = Portal.Exit;
        else return false;
        var site = topic[levels[2]];
        var bore = topic[levels[3]];
        if (!Identifiers.IsValid(site) || !Identifiers.IsValid(bore)) return false;
        parsed = new PassageTopic(site, bore, portal);
        return true;
    }
}
