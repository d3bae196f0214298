using System.Collections.Concurrent;
using Tunnel.Central.Service;

namespace Tunnel.Central.Tests;

/// <summary>The central loop's wake-up: work signalled from other threads is never slept through.</summary>
public sealed class LoopSignalTests
{
    [Fact]
    public void Every_item_queued_from_other_threads_wakes_the_waiting_loop()
    {
        const int producers = 4, perProducer = 20_000;
        using var signal = new LoopSignal();
        var queue = new ConcurrentQueue<int>();
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                queue.Enqueue(p * perProducer + i);
                signal.Set();
                // Now and then let the loop drain and go to sleep, so that many wake-ups meet a sleeping loop.
                if (i % 100 == 0) Thread.Yield();
            }
        })).ToList();
        var taken = 0;
        var done = new ManualResetEventSlim();
        var loop = new Thread(() =>
        {
            while (taken < producers * perProducer)
            {
                signal.WaitFor(() => !queue.IsEmpty);
                while (queue.TryDequeue(out _)) taken++;
            }
            done.Set();
        });
        loop.Start();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        // A lost wake-up leaves the loop asleep with items queued: it would never finish.
        Assert.True(done.Wait(TimeSpan.FromSeconds(30)), $"loop asleep with {queue.Count} items queued after taking {taken}");
        Assert.Equal(producers * perProducer, taken);
    }
}
