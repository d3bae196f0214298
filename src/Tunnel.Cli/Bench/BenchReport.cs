using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tunnel.Cli.Bench;

/// <summary>Whether a figure must reach its target from below (throughput) or stay under it (memory, latency).</summary>
public enum TargetKind { AtLeast, AtMost, None }

/// <summary>One measured number, with the issue's target beside it when there is one.</summary>
public sealed record BenchFigure(string Section, string Name, double Value, string Unit, double? Target = null,
    TargetKind Kind = TargetKind.None, string? Note = null)
{
    /// <summary>Null when the figure is context (a minimum, a breakdown), not a goal.</summary>
    public bool? Pass => Target is not { } t ? null : Kind switch
    {
        TargetKind.AtLeast => Value >= t,
        TargetKind.AtMost => Value <= t,
        _ => null,
    };

    public string Verdict => Pass switch { true => "PASS", false => "MISS", null => "" };
}

/// <summary>Everything `tunnel bench` measured, with the conditions it was measured under, for README and CI.</summary>
public sealed class BenchReport
{
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
    public string Machine { get; init; } = MachineDescription();
    public string Command { get; init; } = "";
    /// <summary>The 1/5/15-minute load averages when the run started and ended: the 2 cores are shared.</summary>
    public List<string> Load { get; } = [];
    public List<BenchFigure> Figures { get; } = [];
    public List<string> Notes { get; } = [];

    public BenchFigure Add(BenchFigure figure)
    {
        Figures.Add(figure);
        return figure;
    }

    /// <summary>True when no targeted figure was missed (figures without a target do not count).</summary>
    [JsonIgnore]
    public bool AllPass => Figures.All(f => f.Pass != false);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(new
    {
        at = At, machine = Machine, command = Command, load = Load,
        figures = Figures.Select(f => new { f.Section, f.Name, f.Value, f.Unit, f.Target, f.Kind, f.Pass, f.Note }),
        notes = Notes, allPass = AllPass,
    }, Json);

    public static string MachineDescription() =>
        $"{Environment.ProcessorCount} CPUs visible, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, " +
        $".NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";

    /// <summary>/proc/loadavg's first three fields, or "n/a" where there is no /proc.</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }
}

/// <summary>Order statistics of a sample, in the sample's unit.</summary>
public readonly record struct Distribution(int Count, double Min, double P50, double P95, double P99, double Max, double Mean)
{
    public static Distribution Of(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0) return default;
        Array.Sort(sorted);
        return new Distribution(sorted.Length, sorted[0], Quantile(sorted, 0.50), Quantile(sorted, 0.95), Quantile(sorted, 0.99),
            sorted[^1], sorted.Average());
    }

    /// <summary>Nearest-rank quantile: a p99 that is a latency some message really had.</summary>
    public static double Quantile(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
