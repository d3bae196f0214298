using Tunnel.Storage;

namespace Tunnel.Central.Service;

/// <summary>
/// How many rejected messages of one source keep their payload in a minute. A broken or hostile agent can
/// publish thousands of bad messages a second, each up to the validator's size limit; every one is still
/// counted and kept with its topic, reason, seq and size, but past the budget without its bytes, so it can
/// fill neither the store's disk nor the writer's queue. The first of each minute are what a maintainer
/// needs to see what is wrong.
/// </summary>
/// <remarks>
/// A source is the agent the message names, else its topic's first five levels (<c>tunnel/v1/{site}/{bore}/{portal}</c>,
/// what the broker's ACL gives one portal's agents): a snapshot's topic names its passage, one topic per message.
/// One window for all sources, cleared each minute, keeps memory bounded by what one minute brings.
/// </remarks>
public sealed class DeadLetterBudget(int payloadsPerMinute = DeadLetterBudget.DefaultPayloadsPerMinute)
{
    public const int DefaultPayloadsPerMinute = 60;

    private readonly Dictionary<string, int> _keptThisMinute = [];
    private long _minute = long.MinValue;

    /// <summary>Dead letters kept without their payload since the service started.</summary>
    public long PayloadsDropped { get; private set; }

    /// <summary>The letter as it is, or without its payload once its source has used up this minute's budget.</summary>
    public DeadLetter Admit(DeadLetter letter)
    {
        var minute = letter.ReceivedAt.UtcTicks / TimeSpan.TicksPerMinute;
        if (minute != _minute)
        {
            _keptThisMinute.Clear();
            _minute = minute;
        }
        var source = letter.AgentId ?? TopicSource(letter.Topic);
        var kept = _keptThisMinute.GetValueOrDefault(source);
        if (kept < payloadsPerMinute)
        {
            _keptThisMinute[source] = kept + 1;
            return letter;
        }
        PayloadsDropped++;
        return letter with
        {
            Payload = [],
            OriginalLength = letter.OriginalLength ?? letter.Payload.Length,
            Reason = $"{letter.Reason} (payload not kept: more than {payloadsPerMinute} rejected from {source} this minute)",
        };
    }

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
