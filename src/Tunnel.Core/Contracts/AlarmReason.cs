using System.Globalization;

namespace Tunnel.Core.Contracts;

/// <summary>
/// Why an alarm changed: a kebab-case <see cref="Code"/> with its <see cref="Args"/>, for machines and
/// for the console to word in the reader's language, and <see cref="Text"/>, the English sentence of
/// the contract's <c>reason</c>. Made only when a transition is emitted, never per passage.
/// </summary>
/// <remarks>
/// Arguments are strings: numbers in invariant culture, durations as the whole seconds the sentence
/// states (under names ending in <c>Duration</c>), clock times as the sentence writes them (HH:mm:ss, in the
/// passage's own offset), each with its instant under the same name ending in <c>At</c> (ISO 8601), so a reader
/// in another time zone (the console shows Asia/Shanghai; agents stamp UTC) can say it in theirs.
/// The sentence is made from the same figures, so the two never disagree.
/// </remarks>
public sealed class AlarmReason
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly IReadOnlyDictionary<string, string> NoArgs = new Dictionary<string, string>();

    private AlarmReason(string code, string text, IReadOnlyDictionary<string, string> args)
    {
        Code = code;
        Text = text;
        Args = args;
    }

    public string Code { get; }
    public string Text { get; }
    /// <summary>In the order the sentence names them.</summary>
    public IReadOnlyDictionary<string, string> Args { get; }

    /// <summary>Vehicles that entered after it have left: lane order says it has stopped.</summary>
    public static AlarmReason Overtaken(int ownLanePasses, int lane, int otherLanePasses, TimeSpan inside, TimeSpan usual, double evidence)
    {
        var (insideText, insideSeconds) = Duration(inside);
        var (usualText, usualSeconds) = Duration(usual);
        var evidenceText = evidence.ToString("0.0", Invariant);
        return new("overdue-overtaken",
            $"{Number(ownLanePasses)} later entrant(s) of lane {Number(lane)} and {Number(otherLanePasses)} of other lanes already left; inside {insideText} (usual {usualText}); evidence {evidenceText}",
            new Dictionary<string, string>
            {
                ["own"] = Number(ownLanePasses), ["lane"] = Number(lane), ["other"] = Number(otherLanePasses),
                ["insideDuration"] = insideSeconds, ["usualDuration"] = usualSeconds, ["evidence"] = evidenceText,
            });
    }

    /// <summary>Inside far longer than the usual transit: the clock says it has stopped.</summary>
    public static AlarmReason OverTime(TimeSpan inside, TimeSpan usual, double evidence)
    {
        var (insideText, insideSeconds) = Duration(inside);
        var (usualText, usualSeconds) = Duration(usual);
        var evidenceText = evidence.ToString("0.0", Invariant);
        return new("overdue-time", $"inside {insideText}, usual transit {usualText}; evidence {evidenceText}",
            new Dictionary<string, string> { ["insideDuration"] = insideSeconds, ["usualDuration"] = usualSeconds, ["evidence"] = evidenceText });
    }

    public static AlarmReason Congestion(int slow, int recent, TimeSpan window) =>
        new("congestion", $"{Number(slow)} of {Number(recent)} vehicles that entered in the last {WindowMinutes(window)} min are far slower than usual",
            CountedIn(slow, recent, window));

    /// <summary>Every lane crawls, however usual that has become to the transit models that <see cref="Congestion"/> asks.</summary>
    public static AlarmReason Crawling(int slow, int recent, TimeSpan window, double factor)
    {
        var times = factor.ToString("0.#", Invariant);
        var args = CountedIn(slow, recent, window);
        args["factor"] = times;
        return new("congestion-crawl",
            $"in every lane, {Number(slow)} of {Number(recent)} vehicles that entered in the last {WindowMinutes(window)} min have been inside over {times} times the transit at the speed limit",
            args);
    }

    private static string WindowMinutes(TimeSpan window) => window.TotalMinutes.ToString("0", Invariant);

    private static Dictionary<string, string> CountedIn(int slow, int recent, TimeSpan window) =>
        new() { ["slow"] = Number(slow), ["recent"] = Number(recent), ["windowDuration"] = Seconds(WindowMinutes(window), 60) };

    public static AlarmReason CongestionCleared() => new("congestion-cleared", "traffic in the bore is back to its usual speed", NoArgs);

    /// <summary>An exit passage that came late shows the vehicle left before its alarm was raised.</summary>
    public static AlarmReason Retracted(DateTimeOffset leftAt)
    {
        var time = Clock(leftAt);
        return new("retracted", $"retracted: a late passage shows it left at {time}, before the alarm",
            WithClock(new Dictionary<string, string>(), "time", leftAt));
    }

    public static AlarmReason Left(DateTimeOffset at, int lane)
    {
        var time = Clock(at);
        var args = WithClock(new Dictionary<string, string>(), "time", at);
        args["lane"] = Number(lane);
        return new("left", $"left the bore at {time} by lane {Number(lane)}", args);
    }

    /// <summary>Still inside long after its alarm: the alarm becomes critical.</summary>
    public static AlarmReason Escalated(TimeSpan inside)
    {
        // Rounded as the sentence always has been (to even), so the wire text stays what it was.
        var minutes = Math.Round(inside.TotalMinutes).ToString(Invariant);
        return new("escalated", $"still inside {minutes} min after entry", new Dictionary<string, string> { ["insideDuration"] = Seconds(minutes, 60) });
    }

    /// <summary>Given up on after the longest a vehicle is tracked.</summary>
    public static AlarmReason Untracked(TimeSpan tracked)
    {
        var hours = tracked.TotalHours.ToString("0", Invariant);
        return new("untracked", $"no longer tracked after {hours} h inside", new Dictionary<string, string> { ["trackedDuration"] = Seconds(hours, 3600) });
    }

    public static AlarmReason AgentOffline(string agentId) =>
        new("agent-offline", $"agent {agentId} offline", new Dictionary<string, string> { ["agent"] = agentId });

    /// <summary>An agent lost with an error of its own (its last will, a camera that failed): the error is the agent's text.</summary>
    public static AlarmReason AgentOfflineError(string agentId, string error) =>
        new("agent-offline-error", $"agent {agentId} offline: {error}", new Dictionary<string, string> { ["agent"] = agentId, ["error"] = error });

    public static AlarmReason AgentOnline(string agentId) =>
        new("agent-online", $"agent {agentId} back online", new Dictionary<string, string> { ["agent"] = agentId });

    /// <summary>An agent stopped on purpose (maintenance), not lost.</summary>
    public static AlarmReason AgentStopped(string agentId) =>
        new("agent-stopped", $"agent {agentId} stopped", new Dictionary<string, string> { ["agent"] = agentId });

    /// <summary>The rebuild after a restart no longer finds the alarmed vehicle inside.</summary>
    public static AlarmReason LeftWhileDown() => new("left-while-down", "the vehicle left while the central service was down", NoArgs);

    /// <summary>An operator saw the vehicle leave, or found the bore clear of it, where no camera did.</summary>
    public static AlarmReason SeenLeaving(string by) =>
        new("seen-leaving", $"{by} saw the vehicle leave, or found it gone", new Dictionary<string, string> { ["by"] = by });

    public static AlarmReason ShelfExpired() => new("shelf-expired", "shelf expired", NoArgs);

    /// <summary>
    /// An unread exit fits a second vehicle as well: one of the two left by it, the other is inside.
    /// No plate here: the reason is shown unmasked, the suspect's plate travels in the field the console masks.
    /// </summary>
    public static AlarmReason SecondSuspect(int lane, DateTimeOffset unreadExitAt)
    {
        var time = Clock(unreadExitAt);
        return new("second-suspect", $"a second vehicle, of lane {Number(lane)}, may be the one inside: the unread exit at {time} fits both",
            WithClock(new Dictionary<string, string> { ["lane"] = Number(lane) }, "time", unreadExitAt));
    }

    /// <summary>The second suspect was seen leaving, so the alarmed vehicle is the one that left by the shared unread exit.</summary>
    public static AlarmReason OtherSuspectLeft(DateTimeOffset otherLeftAt, DateTimeOffset leftUnseenAt)
    {
        var (time, unseen) = (Clock(otherLeftAt), Clock(leftUnseenAt));
        return new("other-suspect-left", $"the other suspect left at {time}, so this vehicle left unseen at {unseen}",
            WithClock(WithClock(new Dictionary<string, string>(), "time", otherLeftAt), "unseen", leftUnseenAt));
    }

    /// <summary>An operator's own words for shelving: no arguments, nothing to translate; shown as written.</summary>
    public static AlarmReason Shelved(string text) => new("shelved", text, NoArgs);

    private static string Number(int value) => value.ToString(Invariant);

    private static string Clock(DateTimeOffset at) => at.ToString("HH:mm:ss", Invariant);

    /// <summary>A clock time as the sentence says it, and its instant beside it (see the remarks).</summary>
    private static Dictionary<string, string> WithClock(Dictionary<string, string> args, string name, DateTimeOffset at)
    {
        args[name] = Clock(at);
        args[name + "At"] = at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Invariant);
        return args;
    }

    /// <summary>"4.5 min" or "38 s", as the sentences have always put it, and the same amount in whole seconds.</summary>
    private static (string Text, string Seconds) Duration(TimeSpan span)
    {
        if (span.TotalMinutes >= 1)
        {
            var minutes = span.TotalMinutes.ToString("0.0", Invariant);
            return ($"{minutes} min", Seconds(minutes, 60));
        }
        var seconds = span.TotalSeconds.ToString("0", Invariant);
        return ($"{seconds} s", seconds);
    }

    /// <summary>Seconds from the figure the sentence shows, so the console's wording of them says the same.</summary>
    private static string Seconds(string figure, int secondsPerUnit) =>
        (decimal.Parse(figure, NumberStyles.Float, Invariant) * secondsPerUnit).ToString("0", Invariant);
}
