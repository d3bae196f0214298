using System.Diagnostics;

namespace Tunnel.EndToEnd.Tests.Support;

/// <summary>Polling a condition with a deadline: the only way these tests wait for state that raises no event.</summary>
public static class Wait
{
    /// <summary>Generous, because other test projects share the two cores; a healthy run takes a fraction of it.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(20);

    public static async Task<T> UntilAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null) where T : class
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? Deadline;
        while (true)
        {
            if (probe() is { } value) return value;
            if (clock.Elapsed > limit) throw new TimeoutException($"waited {limit.TotalSeconds:0} s for: {what}");
            // The poll interval, not a synchronisation: the condition above decides.
            await Task.Delay(PollEvery);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => condition() ? "" : null, what, timeout);
}

/// <summary>
/// Everything a test has received on one subscription, with a way to await the first item that
/// satisfies a predicate (items already received count). Thread safe.
/// </summary>
public sealed class Inbox<T>
{
    private readonly Lock _gate = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<T> Items
    {
        get { lock (_gate) return _items.ToList(); }
    }

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _items.Add(item);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.SetResult();
    }

    public async Task<T> FirstAsync(Func<T, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? Wait.Deadline;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                foreach (var item in _items)
                    if (predicate(item)) return item;
                changed = _changed.Task;
            }
            var left = limit - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"waited {limit.TotalSeconds:0} s for: {what}; received {Items.Count} items");
            try { await changed.WaitAsync(left); }
            catch (TimeoutException) { throw new TimeoutException($"waited {limit.TotalSeconds:0} s for: {what}; received {Items.Count} items"); }
        }
    }
}
