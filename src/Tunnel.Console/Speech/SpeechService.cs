using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Speech;

/// <summary>
/// Mandarin speech for alarms, made on the server by espeak-ng's <c>cmn</c> voice and cached as WAV
/// per text in the data directory. The text is the server's own announcement of an alarm it knows
/// (<see cref="Announcement"/>), never one a browser sends: a plate in a request's URL would land in
/// access logs, proxies and browser history. Only short plate/bore texts are spoken all the same, since
/// the text reaches a program's command line.
/// </summary>
public sealed class SpeechService(IOptions<ConsoleOptions> options, ILogger<SpeechService> log)
{
    public const int MaxLength = 48;
    // Always Mandarin, whatever the screen language: the speech is for the control room.
    private static readonly Dictionary<AlarmKind, string> SpokenKind = new()
    {
        [AlarmKind.Overdue] = "车辆超时", [AlarmKind.Congestion] = "隧道拥堵", [AlarmKind.AgentOffline] = "相机离线",
    };
    private static readonly TimeSpan SynthesisLimit = TimeSpan.FromSeconds(20);
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly Lazy<string?> _program = new(() => Locate(options.Value.Espeak));

    public bool Available => _program.Value is not null;

    private string CacheDirectory => CacheIn(options.Value.DataDirectory);

    private static string CacheIn(string dataDirectory) => Path.Combine(dataDirectory, "speech");

    /// <summary>Spoken plates are personal data too: deletes the cached ones made before <paramref name="cutoff"/>.</summary>
    public static void Purge(string dataDirectory, DateTimeOffset cutoff)
    {
        var cache = new DirectoryInfo(CacheIn(dataDirectory));
        if (!cache.Exists) return;
        foreach (var file in cache.EnumerateFiles().Where(f => f.LastWriteTimeUtc < cutoff.UtcDateTime)) file.Delete();
    }

    /// <summary>
    /// What the wall says of an alarm: its bore, an overdue vehicle's plate (and the second suspect's, as the wall shows
    /// both) and the kind. Without <paramref name="plates"/> no plate at all: a role that may not see plates does not hear them.
    /// </summary>
    /// <param name="sites">The tunnels watched: where there is more than one, each may have a north bore, and the alarm's
    /// tunnel is named (its name, or its id without one). Left out if it cannot be spoken, rather than losing the whole announcement.</param>
    public static string Announcement(AlarmView alarm, bool plates, SitesFile sites)
    {
        // A bore id of its own is spelled out; its - and _ are not speakable.
        var where = BoreNames.InChinese(alarm.Bore.Bore) ?? alarm.Bore.Bore.Replace('-', ' ').Replace('_', ' ');
        var tunnel = sites.Sites.Count > 1 ? sites.Sites.FirstOrDefault(s => s.Id == alarm.Bore.Site)?.Name ?? alarm.Bore.Site : null;
        if (tunnel is not null && IsSpeakable(tunnel)) where = $"{tunnel} {where}";
        var kind = SpokenKind.GetValueOrDefault(alarm.Kind, "");
        if (alarm.Kind != AlarmKind.Overdue || !plates) return $"{where} {kind}";
        var second = alarm.SecondSuspect is { } other ? $" 或 {Spoken(other.Plate)}" : "";
        return $"{where} {Spoken(alarm.Plate)}{second} {kind}";

        static string Spoken(string? plate) => string.IsNullOrEmpty(plate) ? "未识别车牌" : plate;
    }

    /// <summary>Han characters, ASCII letters and digits, spaces and the separators 、，: a plate, a bore, an alarm kind.</summary>
    public static bool IsSpeakable(string? text) =>
        !string.IsNullOrWhiteSpace(text) && text.Length <= MaxLength && !text.StartsWith('-')
        && text.All(c => c is (>= '\u4E00' and <= '\u9FFF') or ' ' or '、' or '，' || char.IsAsciiLetterOrDigit(c));

    /// <summary>Letters and digits one by one ("J 1 2 3"), as a plate is read out, not as a number.</summary>
    public static string Normalise(string text)
    {
        var sb = new StringBuilder(text.Length * 2);
        foreach (var c in text.Trim())
        {
            if (char.IsAsciiLetterOrDigit(c) && sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
            sb.Append(char.ToUpperInvariant(c));
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(' ');
        }
        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The WAV file for <paramref name="text"/>, made on first use. Null when espeak-ng is missing or fails.</summary>
    public async Task<string?> GetWavAsync(string text, CancellationToken ct)
    {
        if (!IsSpeakable(text)) throw new ArgumentException("not a plate or bore text", nameof(text));
        var program = _program.Value;
        if (program is null) return null;
        var spoken = Normalise(text);
        var path = Path.Combine(CacheDirectory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(spoken)))[..32] + ".wav");
        if (File.Exists(path)) return path;
        // One synthesis at a time: the machine is small and the wall asks for the same text from many browsers.
        await _one.WaitAsync(ct);
        try
        {
            if (File.Exists(path)) return path;
            Directory.CreateDirectory(CacheDirectory);
            var temporary = path + ".tmp";
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "-v", "cmn", "-s", "150", "-w", temporary, "--", spoken }) start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("espeak-ng did not start");
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(SynthesisLimit);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            if (process.ExitCode != 0 || !File.Exists(temporary))
            {
                log.LogWarning("espeak-ng failed ({Code}): {Error}", process.ExitCode, await error);
                return null;
            }
            File.Move(temporary, path, overwrite: true);
            return path;
        }
        finally
        {
            _one.Release();
        }
    }

    private static string? Locate(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? program : null;
        return (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
    }
}
