using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// How many rejected messages of one source keep their payload in a minute, and how many bytes of payload one source
/// and all sources together keep. A broken or hostile agent can publish thousands of bad messages a second, each up to
/// the broker's packet limit; every one is still counted and kept with its topic, reason, seq and size, but past the
/// budget without its bytes, so it can fill neither the store's disk nor the writer's queue. The first of each minute
/// are what a maintainer needs to see what is wrong.
/// </summary>
/// <remarks>
/// A source is the agent the message names, else its topic's first five levels (<c>tunnel/v1/{site}/{bore}/{portal}</c>,
/// what the broker's ACL gives one portal's agents): a snapshot's topic names its passage, one topic per message.
/// One window for all sources, cleared each minute, keeps memory bounded by what one minute brings.
/// </remarks>
public sealed class DeadLetterBudget(
    int payloadsPerMinute = DeadLetterBudget.DefaultPayloadsPerMinute,
    int bytesPerSourcePerMinute = DeadLetterBudget.DefaultBytesPerSourcePerMinute,
    int bytesPerMinute = DeadLetterBudget.DefaultBytesPerMinute)
{
    public const int DefaultPayloadsPerMinute = 60;

    /// <summary>
    /// The store keeps at most <see cref="DeadLetter.MaxStoredPayloadBytes"/> (64 KiB) of a payload, so a source's first bad
    /// message of a minute keeps its payload whatever its size (the overall budget permitting), even a refused snapshot, with
    /// room for a second; a passage is about half a KiB, so for passages the count binds first. The count alone let one
    /// source keep 60 × 64 KiB a minute, 5 GiB a day.
    /// </summary>
    public const int DefaultBytesPerSourcePerMinute = 2 * DeadLetter.MaxStoredPayloadBytes;

    /// <summary>
    /// Sources are named by the message, so a hostile agent can invent as many as it likes: this bounds the disk whatever
    /// they are, at 1,440 × 512 KiB = 720 MiB of payload a day, 21 GiB over the dead letters' 30-day retention. It is four
    /// sources' whole budgets, so one source flooding leaves room for the others, and all eight agents of a two-bore site
    /// rejecting every passage at once (an upgrade that broke their messages) keep theirs: 8 × 60 × half a KiB.
    /// </summary>
    public const int DefaultBytesPerMinute = 8 * DeadLetter.MaxStoredPayloadBytes;

    private readonly Dictionary<string, (int Payloads, int Bytes)> _keptThisMinute = [];
    private int _bytesThisMinute;
    private long _minute = long.MinValue;

    /// <summary>Dead letters kept without their payload since the service started, over any of the budgets.</summary>
    public long PayloadsDropped { get; private set; }

    /// <summary>The letter as it is, or without its payload once its source or all sources have used up this minute's budget.</summary>
    public DeadLetter Admit(DeadLetter letter)
    {
        var minute = letter.ReceivedAt.UtcTicks / TimeSpan.TicksPerMinute;
        if (minute != _minute)
        {
            _keptThisMinute.Clear();
            _bytesThisMinute = 0;
            _minute = minute;
        }
        var source = letter.AgentId ?? TopicSource(letter.Topic);
        var kept = _keptThisMinute.GetValueOrDefault(source);
        // What the store will keep, not what came: the budget is of disk.
        var bytes = Math.Min(letter.Payload.Length, DeadLetter.MaxStoredPayloadBytes);
        var over = kept.Payloads >= payloadsPerMinute ? $"more than {payloadsPerMinute} rejected from {source} this minute"
            : kept.Bytes + bytes > bytesPerSourcePerMinute ? $"more than {Kib(bytesPerSourcePerMinute)} of payloads from {source} this minute"
            : _bytesThisMinute + bytes > bytesPerMinute ? $"more than {Kib(bytesPerMinute)} of payloads from all sources this minute"
            : null;
        if (over is null)
        {
            _keptThisMinute[source] = (kept.Payloads + 1, kept.Bytes + bytes);
            _bytesThisMinute += bytes;
            return letter;
        }
        PayloadsDropped++;
        return letter with
        {
            Payload = [],
            OriginalLength = letter.OriginalLength ?? letter.Payload.Length,
            Reason = $"{letter.Reason} (payload not kept: {over})",
        };
    }

    private static string Kib(int bytes) => $"{bytes / 1024} KiB";

    private static string TopicSource(string topic)
    {
        var end = -1;
        for (var level = 0; level < 5; level++)
        {
            end = topic.IndexOf('/', end + 1);
            if (end < 0) return topic;
        }
        return topic[..end];
    }
}
