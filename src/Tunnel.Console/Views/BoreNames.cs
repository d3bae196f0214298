namespace Tunnel.WebConsole.Views;

/// <summary>
/// A bore's Chinese name as the console shows it (its pages: dom.js boreName), heard in the spoken alarms and written in
/// the Chinese CSV files; a bore with an id of its own is called by it.
/// </summary>
public static class BoreNames
{
    private static readonly Dictionary<string, string> Chinese = new(StringComparer.Ordinal) { ["north"] = "北洞", ["south"] = "南洞" };

    /// <summary>The Chinese name of a north or south bore; null for a bore with an id of its own.</summary>
    public static string? InChinese(string bore) => Chinese.GetValueOrDefault(bore);
}
