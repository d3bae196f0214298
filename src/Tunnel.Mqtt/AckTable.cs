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

    private sealed class Entry
    {
        public TaskCompletionSource<T>? Waiter;
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

    public void Complete(int mid, T result)
    {
        TaskCompletionSource<T>? waiter;
        lock (_gate)
        {
            if (!_entries.Remove(mid, out var entry))
            {
                _entries[mid] = new Entry { HasEarlyResult = true, EarlyResult = result };
                return;
            }

            waiter = entry.Waiter;
        }

        waiter?.TrySetResult(result);
    }

    public void FailLostWithConnection(Func<Exception> error) => Fail(entry => entry.LostWithConnection, error);

    public void FailAll(Func<Exception> error) => Fail(_ => true, error);

    private void Fail(Func<Entry, bool> which, Func<Exception> error)
    {
        List<TaskCompletionSource<T>> failed = [];
        lock (_gate)
        {
            foreach (var (mid, entry) in _entries.Where(pair => pair.Value.Waiter is not null && which(pair.Value)).ToList())
            {
                _entries.Remove(mid);
                failed.Add(entry.Waiter!);
            }
        }

        foreach (var waiter in failed)
        {
            waiter.TrySetException(error());
        }
    }
}
