using System.Numerics;

namespace Tunnel.Central.Engine;

/// <summary>
/// The event ids taken in the last <see cref="RememberFor"/>, for telling re-sends from new passages.
/// It answers exactly as a set with a first-in-first-out queue of (taken at, id) would, where every
/// <see cref="Add"/> that takes an id then forgets the ids taken more than <see cref="RememberFor"/>
/// before it; only it does not forget them one by one. A forgotten id stays in the table, marked
/// as such by its time, until a rebuild leaves it out (or a new id takes its slot). The set and
/// the queue cost the engine about four cache misses per passage (add, find the oldest, remove it);
/// this table costs about one: open addressing, id and time side by side, no separate order.
/// </summary>
public sealed class RecentIds(TimeSpan rememberFor)
{
    private const int MinCapacity = 1024;
    private Slot[] _slots = new Slot[MinCapacity];
    // The table before the last rebuild, cleared and used again when the next is as large: a steady
    // traffic rebuilds at one size over and over, and a new table each time was 70 B per passage.
    private Slot[]? _spare;
    /// <summary>Slots ever filled since the last rebuild, remembered or forgotten: what makes probes long.</summary>
    private int _used;
    /// <summary>Ids taken before this (UTC ticks) are forgotten: the last taking's time less <see cref="RememberFor"/>.</summary>
    private long _forgetBefore = long.MinValue;

    public TimeSpan RememberFor { get; } = rememberFor;

    /// <summary>Whether <paramref name="id"/> was taken and is still remembered.</summary>
    public bool Contains(Guid id)
    {
        var mask = _slots.Length - 1;
        for (var i = Home(id, mask); ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (!slot.Filled) return false;
            if (slot.Id == id) return Remembered(slot);
        }
    }

    /// <summary>
    /// Takes <paramref name="id"/> at <paramref name="now"/> (never earlier than the last call's), unless it
    /// is remembered already; then forgets what was taken more than <see cref="RememberFor"/> before
    /// <paramref name="now"/>. False for an id remembered (and nothing forgotten).
    /// </summary>
    public bool Add(Guid id, DateTimeOffset now)
    {
        var mask = _slots.Length - 1;
        var free = -1;
        var i = Home(id, mask);
        for (; _slots[i].Filled; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.Id == id)
            {
                if (Remembered(slot)) return false;
                free = i; // its own forgotten slot
                break;
            }
            if (free < 0 && !Remembered(slot)) free = i;
        }
        if (free < 0)
        {
            free = i;
            _used++;
        }
        _slots[free] = new Slot(id, now.UtcTicks);
        _forgetBefore = now.UtcTicks - RememberFor.Ticks;
        if (_used > _slots.Length / 2) Rebuild();
        return true;
    }

    private bool Remembered(in Slot slot) => slot.TakenAt >= _forgetBefore;

    /// <summary>A table of the remembered ids only, four times their number (rounded up to a power of two) so it is a quarter full.</summary>
    private void Rebuild()
    {
        var old = _slots;
        var remembered = 0;
        foreach (var slot in old)
            if (slot.Filled && Remembered(slot)) remembered++;
        var size = Math.Max(MinCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)remembered * 4));
        if (_spare?.Length == size) Array.Clear(_spare);
        else _spare = new Slot[size];
        (_slots, _spare) = (_spare, old);
        _used = remembered;
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (!slot.Filled || !Remembered(slot)) continue;
            var i = Home(slot.Id, mask);
            while (_slots[i].Filled) i = (i + 1) & mask;
            _slots[i] = slot;
        }
    }

    // Fibonacci hashing over the id's own hash: ids are random, but nothing says every agent's are.
    private static int Home(Guid id, int mask) => (int)(((ulong)(uint)id.GetHashCode() * 0x9E3779B97F4A7C15ul) >> 33) & mask;

    /// <summary>An id and when it was taken (UTC ticks, plus one so that a zeroed slot is an empty one).</summary>
    private readonly struct Slot(Guid id, long takenAt)
    {
        public readonly Guid Id = id;
        private readonly long _takenAtPlusOne = takenAt + 1;
        public bool Filled => _takenAtPlusOne != 0;
        public long TakenAt => _takenAtPlusOne - 1;
    }
}
