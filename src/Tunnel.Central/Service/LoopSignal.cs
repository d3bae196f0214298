namespace Tunnel.Central.Service;

/// <summary>
/// Wakes the service's loop thread when work arrives (a message, a command, a tick). Only the first
/// signal after the loop last looked costs a kernel call; while the loop is busy, further signals are
/// one interlocked exchange. The loop clears the signal before it looks for work, so work that arrives
/// after it looked always signals again: no wake-up is lost, at worst one turn finds nothing to do.
/// </summary>
internal sealed class LoopSignal : IDisposable
{
    private readonly AutoResetEvent _event = new(false);
    private int _signalled;

    /// <summary>Called after the work is queued, from any thread.</summary>
    public void Set()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _event.Set();
    }

    /// <summary>
    /// Returns as soon as <paramref name="hasWork"/> says there is something to do, waiting on the kernel
    /// (no spinning) in between.
    /// </summary>
    public void WaitFor(Func<bool> hasWork)
    {
        while (true)
        {
            Interlocked.Exchange(ref _signalled, 0);
            if (hasWork()) return;
            _event.WaitOne();
        }
    }

    public void Dispose() => _event.Dispose();
}
