using System.Collections.Concurrent;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Live;

/// <summary>
/// What an alarm's card shows beyond the service's snapshot, which keeps only the raising transition: the latest
/// transition (who acted last), the alarm's own latest reason (raised, escalated, cleared: the detector's, not an operator's),
/// the shelf while it lasts, the latest operator note, the latest contact with the driver and the latest verdict. Each stays until
/// a newer one of its kind: a note on a shelved alarm leaves the shelve's reason, an acknowledgement leaves the note of the call,
/// a note after a verdict leaves the verdict.
/// </summary>
public sealed record AlarmCard(AlarmTransition Latest, AlarmTransition? Reason, AlarmTransition? Shelf, AlarmTransition? Note, AlarmTransition? Contact,
    AlarmTransition? Verdict = null)
{
    public const string ShelvedCode = "shelved";
    private const string ShelfExpiredCode = "shelf-expired";
    /// <summary>How the contact API words an attempt in the note it adds (ContactApi.NoteText).</summary>
    private const string ContactPrefix = "contact-driver ";
    /// <summary>How the verdict API words a verdict in the note it adds (WallApi.VerdictNote): "verdict VERDICT[: note]".</summary>
    private static readonly System.Text.RegularExpressions.Regex VerdictNote = new(@"^verdict (confirmed|false)(?::|$)");

    /// <summary>The verdict a note records (<c>confirmed</c> or <c>false</c>), null for any other note.</summary>
    public static string? VerdictOf(string? note) => note is not null && VerdictNote.Match(note) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary><paramref name="previous"/> (null for none) with <paramref name="t"/>, the alarm's next transition.</summary>
    public static AlarmCard Fold(AlarmCard? previous, AlarmTransition t)
    {
        // An operator's action (By) repeats the raising reason or gives the operator's words; a shelf's end is bookkeeping.
        var own = t.By is null && t.Reason is not null && t.ReasonCode is not (ShelvedCode or ShelfExpiredCode) ? t : previous?.Reason;
        // A shelf lasts while the alarm is shelved: notes on it keep the shelve's reason, who and expiry.
        var shelf = t.State != AlarmState.Shelved ? null : previous?.Shelf is { } kept && previous.Latest.State == AlarmState.Shelved ? kept : t;
        var note = string.IsNullOrWhiteSpace(t.Note) ? previous?.Note : t;
        var contact = t.Note?.StartsWith(ContactPrefix, StringComparison.Ordinal) == true ? t : previous?.Contact;
        // The last verdict stands, as in the reports: a later note does not take it off the card.
        var verdict = VerdictOf(t.Note) is not null ? t : previous?.Verdict;
        return new(t, own, shelf, note, contact, verdict);
    }

    /// <summary>An alarm's stored transitions, oldest first, folded.</summary>
    public static AlarmCard? Of(IEnumerable<AlarmTransition> history) => history.Aggregate((AlarmCard?)null, Fold);
}

/// <summary>
/// Each open alarm's card (<see cref="AlarmCard"/>). The service's snapshot keeps only the raising transition, so a shelve's
/// reason, who acted and the notes were gone from the wall at the next snapshot, and after a reload. Those from before a
/// restart are folded from the store's history.
/// </summary>
public sealed class LatestTransitions : IDisposable
{
    private readonly CentralService _service;
    private readonly ConcurrentDictionary<Guid, AlarmCard> _cards = new();

    public LatestTransitions(CentralService service, TunnelStore store)
    {
        _service = service;
        service.AlarmChanged += OnAlarm;
        // After subscribing, and without overwriting: a transition announced meanwhile is newer than the stored ones.
        foreach (var stored in store.CurrentAlarms())
            if (AlarmCard.Of(store.AlarmHistory(stored.AlarmId)) is { } card) _cards.TryAdd(stored.AlarmId, card);
    }

    // On the service's loop: a dictionary write, nothing that could wait. One writer (the loop), so read-fold-write is safe.
    internal void OnAlarm(AlarmTransition t)
    {
        if (t.State == AlarmState.Closed) _cards.TryRemove(t.AlarmId, out _);
        else _cards[t.AlarmId] = AlarmCard.Fold(_cards.GetValueOrDefault(t.AlarmId), t);
    }

    public AlarmCard? Find(Guid alarmId) => _cards.GetValueOrDefault(alarmId);

    /// <summary>
    /// Forgets alarms no longer open in a snapshot taken at <paramref name="snapshotAt"/> (one forgotten without a closing
    /// transition would stay forever). A transition after the snapshot is kept: its alarm is newer than the snapshot knows.
    /// </summary>
    public void KeepOnly(IEnumerable<Guid> open, DateTimeOffset snapshotAt)
    {
        var keep = open.ToHashSet();
        foreach (var (id, card) in _cards)
            if (!keep.Contains(id) && card.Latest.At <= snapshotAt) _cards.TryRemove(KeyValuePair.Create(id, card));
    }

    public void Dispose() => _service.AlarmChanged -= OnAlarm;
}
