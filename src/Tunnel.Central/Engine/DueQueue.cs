using Tunnel.Central.Matching;

namespace Tunnel.Central.Engine;

/// <summary>
/// When each open transit must be looked at again. Entries are invalidated lazily: scheduling a
/// transit again bumps its version, and the older entry is skipped when it comes up. Ordered by UTC
/// ticks: the same order as the times, and the heap compares a few times per entry.
/// </summary>
public sealed class DueQueue
{
    private readonly PriorityQueue<Item, long> _queue = new();

    public int Count => _queue.Count;

    public void Schedule(BoreMonitor bore, Transit transit, DateTimeOffset due)
    {
        transit.Version++;
        transit.DueAt = due;
        _queue.Enqueue(new Item(bore, transit, transit.Version), due.UtcTicks);
    }

    public bool TryPeek(out DateTimeOffset due)
    {
        if (_queue.TryPeek(out _, out var ticks))
        {
            due = new DateTimeOffset(ticks, TimeSpan.Zero);
            return true;
        }
        due = DateTimeOffset.MaxValue;
        return false;
    }

    /// <summary>Takes the next entry that is still current, or false when the next one is not yet due.</summary>
    public bool TryTakeDue(DateTimeOffset now, out BoreMonitor bore, out Transit transit)
    {
        while (_queue.TryPeek(out var item, out var ticks) && ticks <= now.UtcTicks)
        {
            _queue.Dequeue();
            if (item.Version != item.Transit.Version || !item.Transit.IsOpen) continue;
            (bore, transit) = (item.Bore, item.Transit);
            return true;
        }
        (bore, transit) = (null!, null!);
        return false;
    }

    private readonly record struct Item(BoreMonitor Bore, Transit Transit, int Version);
}
