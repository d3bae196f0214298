namespace Tunnel.Central.Service;

/// <summary>
/// Runs long-lived work on a named thread of its own (asleep on the kernel when idle, never a pool
/// thread's turn to wait for), and says when it ended as a task.
/// </summary>
internal static class OwnThread
{
    /// <param name="name">As the kernel shows it (15 characters at most there): for profilers and /proc.</param>
    public static Task Run(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                body();
                done.TrySetResult();
            }
            catch (Exception e) { done.TrySetException(e); }
        })
        {
            IsBackground = true,
            Name = name,
        }.Start();
        return done.Task;
    }
}
