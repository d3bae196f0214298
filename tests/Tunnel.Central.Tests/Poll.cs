using System.Diagnostics;

namespace Tunnel.Central.Tests;

/// <summary>Waiting on a condition the code under test will make true.</summary>
public static class Poll
{
    public static async Task Until(Func<bool> condition, string what, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            // The poll interval, not a synchronisation: the condition decides.
            await Task.Delay(20);
        }
    }
}
