namespace Tunnel.Mqtt;

/// <summary>
/// Matches acknowledgements arriving on libmosquitto's network thread to the callers waiting for
/// them, by message id. An acknowledgement may arrive before the caller has registered the id it
/// got back from libmosquitto, so early results are kept until claimed; no lock is ever held
/// across a native call.
/// </summary>
internal sealed class AckTable<T>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Entry> _entries = [];
    private TaskCompletionSource? _settled;

    private sealed class Entry
    {
        public TaskCompletionSource<T>? Waiter;
        // Instead of a waiter: told on the thread that settles the packet (mostly the network thread).
        public IAckObserver<T>? Observer;
        public bool HasEarlyResult;
        public T? EarlyResult;
        public bool LostWithConnection;
    }

    /// <param name="lostWithConnection">True when libmosquitto forgets this packet if the connection
    /// drops (QoS 0 publishes, subscribes), so its waiter must be failed rather than left hanging.</param>
    public Task<T> Expect(int mid, bool lostWithConnection)
    {
        lock (_gate)
        {
            if (_entries.Remove(mid, out var early) && early.HasEarlyResult)
            {
                return Task.FromResult(early.EarlyResult!);
            }

            var waiter = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _entries[mid] = new Entry { Waiter = waiter, LostWithConnection = lostWithConnection };
            return waiter.Task;
        }
    }

    /// <summary>
    /// Like <see cref="Expect"/>, but the result goes to <paramref name="observer"/> rather than to a task:
    /// a task's continuation is scheduled on the thread pool, which wakes a pool thread for every
    /// acknowledgement, while nobody waits for these. An early result is delivered at once, on this thread.
    /// </summary>
    public void Observe(int mid, bool lostWithConnection, IAckObserver<T> observer)
    {
        Entry? early;
        lock (_gate)
        {
            if (!_entries.Remove(mid, out early) || !early.HasEarlyResult)
            {
                _entries[mid] = new Entry { Observer = observer, LostWithConnection = lostWithConnection };
                return;
            }
        }

        observer.Completed(early.EarlyResult!);
    }

    /// <summary>Completes once no packet waits for its acknowledgement (at once if none does).</summary>
    public Task WhenSettled()
    {
        lock (_gate)
        {
            return AnyAwaited() ? (_settled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task : Task.CompletedTask;
        }
    }

    public void Complete(int mid, T result)
    {
        Entry? entry;
        lock (_gate)
        {
            if (!_entries.Remove(mid, out entry))
            {
                _entries[mid] = new Entry { HasEarlyResult = true, EarlyResult = result };
                return;
            }

            NoticeSettled();
        }

        entry.Waiter?.TrySetResult(result);
        entry.Observer?.Completed(result);
    }

    public void FailLostWithConnection(Func<Exception> error) => Fail(entry => entry.LostWithConnection, error);

    public void FailAll(Func<Exception> error) => Fail(_ => true, error);

    private static bool IsAwaited(Entry entry) => entry.Waiter is not null || entry.Observer is not null;

    private bool AnyAwaited() => _entries.Values.Any(IsAwaited);

    // Only while someone waits for it: then each settled packet looks at what is left.
    private void NoticeSettled()
    {
        if (_settled is not null && !AnyAwaited())
        {
            _settled.TrySetResult();
            _settled = null;
        }
    }

    private void Fail(Func<Entry, bool> which, Func<Exception> error)
    {
        List<Entry> failed = [];
        lock (_gate)
        {
            foreach (var (mid, entry) in _entries.Where(pair => IsAwaited(pair.Value) && which(pair.Value)).ToList())
            {
                _entries.Remove(mid);
                failed.Add(entry);
            }

            NoticeSettled();
        }

        foreach (var entry in failed)
        {
            entry.Waiter?.TrySetException(error());
            entry.Observer?.Failed(error());
        }
    }
}

/// <summary>
/// Told how a packet nobody awaits was settled. Called on whichever thread settles it (mostly
/// libmosquitto's network thread, while no further packet is read): must be quick and must not throw.
/// </summary>
internal interface IAckObserver<in T>
{
    void Completed(T result);

    void Failed(Exception error);
}
