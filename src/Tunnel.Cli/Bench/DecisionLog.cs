using System.Diagnostics;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;

namespace Tunnel.Cli.Bench;

/// <summary>What the service's loop did in the turns before the one that decided a passage, as far as it shows from outside.</summary>
[Flags]
public enum TurnAfter
{
    Nothing = 0,
    /// <summary>A garbage collection of the service's process, during that turn or since the one before.</summary>
    GarbageCollection = 1,
    /// <summary>The previous turn built the screens' snapshot (every 50 ms).</summary>
    Snapshot = 2,
    /// <summary>The previous turn announced stored alarm transitions (logged them, handed them to the console).</summary>
    AlarmsAnnounced = 4,
}

/// <summary>
/// The counted decisions slower than the tail threshold, taken apart by what came just before the
/// turn that decided them, beside how often the same came before any counted decision: a cause of
/// the tail shows as a share of the slow ones well above its share of all.
/// </summary>
public sealed record TailBreakdown(double FromMs, int Count, int Counted, IReadOnlyDictionary<TurnAfter, TurnShare> After,
    double BrokerPartP50, double ServicePartP50)
{
    private static readonly Dictionary<TurnAfter, string> Words = new()
    {
        [TurnAfter.GarbageCollection] = "after a garbage collection",
        [TurnAfter.Snapshot] = "after the screens' snapshot was built",
        [TurnAfter.AlarmsAnnounced] = "after stored alarm transitions were announced",
        [TurnAfter.Nothing] = "after none of these",
    };

    public string Describe() =>
        $"{Count:N0} of {Counted:N0} counted decisions took over {FromMs:0.#} ms (median broker part {BrokerPartP50:0.0} ms, service part {ServicePartP50:0.0} ms); " +
        "the turn that decided them came " +
        string.Join(", ", After.Select(a => $"{Words[a.Key]}: {a.Value.Slow:N0} of them ({Share(a.Value.Slow, Count)}), against {Share(a.Value.All, Counted)} of all decisions " +
                                            $"({a.Value.Turns:N0} such turns, {a.Value.GapMs.P50:0.0} ms since the turn before at p50, {a.Value.GapMs.P99:0.0} ms at p99)"));

    private static string Share(int part, int whole) => $"{100.0 * part / Math.Max(whole, 1):0.#} %";
}

/// <summary>
/// Of the decisions whose turn came after something: how many were slow, how many in all, and the
/// turns themselves with the time since the turn before (at 2,000 passages/s the loop rarely waits
/// for work, so that is mostly how long the turn before and what followed it took).
/// </summary>
public sealed record TurnShare(int Slow, int All, int Turns, Distribution GapMs);

/// <summary>
/// When the service received and decided each planned passage (Stopwatch ticks, 0 if never), and
/// what its loop had just done. Fed in the service's turns from <see cref="CentralService.PassagesDecided"/>,
/// so it costs a lookup and a few stores per passage.
/// </summary>
public sealed class DecisionLog
{
    private readonly Dictionary<Guid, int> _index;
    private readonly CentralService _service;
    private int _gcs = GC.CollectionCount(0);
    private CentralSnapshot _snapshot;
    // Both events are raised in the service's turns, one turn at a time (PassagesDecided mostly on the MQTT network thread).
    private bool _alarmsAnnounced;
    private readonly List<(long At, TurnAfter After)> _turns = [];

    public DecisionLog(IReadOnlyList<Passage> plan, CentralService service)
    {
        _index = new Dictionary<Guid, int>(plan.Count);
        for (var i = 0; i < plan.Count; i++) _index[plan[i].EventId] = i;
        (ReceivedAt, DecidedAt, After) = (new long[plan.Count], new long[plan.Count], new TurnAfter[plan.Count]);
        _service = service;
        _snapshot = service.Snapshot;
        service.AlarmChanged += _ =>
        {
            _alarmsAnnounced = true;
            AlarmTransitions++;
        };
        service.PassagesDecided += Take;
    }

    public long[] ReceivedAt { get; }
    public long[] DecidedAt { get; }
    public TurnAfter[] After { get; }
    public long Count { get; private set; }
    /// <summary>
    /// Alarm transitions the service stored during the run. On the compressed clock every millisecond
    /// the loop lags is over a simulated second, enough to make vehicles look overdue until their exit
    /// comes through: compare with the same traffic replayed on event time.
    /// </summary>
    public int AlarmTransitions { get; private set; }
    public long Last { get; private set; }

    private void Take(IReadOnlyList<DecidedPassage> decided)
    {
        var at = Stopwatch.GetTimestamp();
        var after = TurnAfter.Nothing;
        // Every collection counts in gen 0, whatever generation it reached.
        var gcs = GC.CollectionCount(0);
        if (gcs != _gcs) after |= TurnAfter.GarbageCollection;
        if (!ReferenceEquals(_service.Snapshot, _snapshot)) after |= TurnAfter.Snapshot;
        if (_alarmsAnnounced) after |= TurnAfter.AlarmsAnnounced;
        (_gcs, _snapshot, _alarmsAnnounced) = (gcs, _service.Snapshot, false);
        // Read after the run while the loop may still turn (an ack, a status): the list must not change under the reader.
        lock (_turns) _turns.Add((at, after));
        foreach (var d in decided)
        {
            if (!_index.TryGetValue(d.Passage.EventId, out var i)) continue;
            ReceivedAt[i] = d.ReceivedTimestamp;
            DecidedAt[i] = at;
            After[i] = after;
            Count++;
            Last = at;
        }
    }

    /// <summary>Takes apart the decisions of <paramref name="counted"/> slower than <paramref name="fromMs"/> since their send, and the turns from <paramref name="turnsFrom"/> (Stopwatch ticks) on.</summary>
    public TailBreakdown Tail(IReadOnlyList<int> counted, long[] sentAt, double fromMs, long turnsFrom)
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var decided = counted.Where(i => DecidedAt[i] != 0).ToList();
        var slow = decided.Where(i => Ms(DecidedAt[i] - sentAt[i]) > fromMs).ToList();
        List<(long At, TurnAfter After)> turns;
        lock (_turns) turns = [.. _turns];
        var gaps = turns.Skip(1).Zip(turns, (t, before) => (t.After, Ms: Ms(t.At - before.At), t.At)).Where(t => t.At >= turnsFrom).ToList();
        TurnShare Share(Func<TurnAfter, bool> matches) => new(slow.Count(i => matches(After[i])), decided.Count(i => matches(After[i])),
            gaps.Count(t => matches(t.After)), Distribution.Of(gaps.Where(t => matches(t.After)).Select(t => t.Ms)));
        var after = new[] { TurnAfter.GarbageCollection, TurnAfter.Snapshot, TurnAfter.AlarmsAnnounced }.ToDictionary(k => k, k => Share(a => a.HasFlag(k)));
        after[TurnAfter.Nothing] = Share(a => a == TurnAfter.Nothing);
        return new TailBreakdown(fromMs, slow.Count, decided.Count, after,
            Distribution.Of(slow.Select(i => Ms(ReceivedAt[i] - sentAt[i]))).P50, Distribution.Of(slow.Select(i => Ms(DecidedAt[i] - ReceivedAt[i]))).P50);
    }
}
