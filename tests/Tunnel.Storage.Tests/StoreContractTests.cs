using System.Diagnostics;
using System.Text;
using Tunnel.Core.Contracts;
using Xunit.Abstractions;
using static Tunnel.Storage.Tests.TestData;

namespace Tunnel.Storage.Tests;

/// <summary>The behaviour every provider must show. Each test gets a fresh database (file or schema).</summary>
public abstract class StoreContractTests(ITestOutputHelper output) : IDisposable
{
    private TunnelStore? _store;

    protected abstract StoreOptions Options { get; }

    protected TunnelStore Store => _store ??= TunnelStore.Open(Options);

    protected ITestOutputHelper Output { get; } = output;

    protected TunnelStore Reopen()
    {
        _store?.Dispose();
        _store = TunnelStore.Open(Options);
        return _store;
    }

    public virtual void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    private List<StoredPassage> All() => [.. Store.ReadPassages(DateTimeOffset.MinValue)];

    [Fact]
    public void Duplicates_by_event_id_are_ignored_and_change_nothing()
    {
        var a = Passage("a1", 1, "浙A12345", T0);
        var b = Passage("a1", 2, "浙A23456", T0.AddSeconds(1));
        Assert.Equal([a.EventId, b.EventId], Store.AddPassages(Received(a, b)).Select(p => p.EventId));

        var c = Passage("a1", 3, "浙A34567", T0.AddSeconds(2));
        var changedCopyOfA = a with { Plate = a.Plate! with { Text = "沪B99999" }, Lane = 9 };
        var fresh = Store.AddPassages(Received(changedCopyOfA, c, b, c));

        Assert.Equal([c.EventId], fresh.Select(p => p.EventId));
        var stored = All();
        Assert.Equal([a.EventId, b.EventId, c.EventId], stored.Select(s => s.Passage.EventId));
        Assert.Equal("浙A12345", stored[0].Passage.Plate!.Text);
        Assert.Equal(3, Store.HighestStoredSeq("a1"));
        Assert.Empty(Store.AddPassages(Received(a, b, c)));
        Assert.Empty(Store.AddPassages([]));
    }

    [Fact]
    public void Passages_round_trip_with_chinese_and_unread_plates_in_receive_order()
    {
        // Captured in Beijing time with sub-millisecond ticks: the JSON keeps them as sent.
        var capturedLate = new DateTimeOffset(2025, 3, 1, 16, 0, 5, TimeSpan.FromHours(8)).AddTicks(1234);
        var chinese = Passage("a1", 1, "浙A·D12345", capturedLate, hazmat: true);
        var unread = Passage("a1", 2, null, capturedLate.AddSeconds(-30), Portal.Exit, bore: "south");
        var receivedAt = new DateTimeOffset(2025, 3, 1, 8, 0, 6, 789, TimeSpan.Zero).AddTicks(4321);
        Store.AddPassages([(chinese, receivedAt), (unread, receivedAt.AddSeconds(1))]);

        var stored = All();
        Assert.Equal(2, stored.Count);
        Assert.Equal(Json(chinese), Json(stored[0].Passage));
        Assert.Equal(Json(unread), Json(stored[1].Passage));
        Assert.Null(stored[1].Passage.Plate);
        Assert.Equal(capturedLate, stored[0].Passage.CapturedAt);
        Assert.Equal(TimeSpan.FromHours(8), stored[0].Passage.CapturedAt.Offset);
        // Received-at is a column: UTC, to the millisecond.
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 8, 0, 6, 789, TimeSpan.Zero), stored[0].ReceivedAt);
        Assert.Equal(TimeSpan.Zero, stored[0].ReceivedAt.Offset);
        Assert.True(stored[0].Id < stored[1].Id);

        // Receive order, not capture order; capture-time and bore filters apply.
        Assert.Equal([unread.EventId], Store.ReadPassages(capturedLate.AddMinutes(-1), capturedLate.AddSeconds(-1)).Select(s => s.Passage.EventId));
        Assert.Equal([chinese.EventId], Store.ReadPassages(DateTimeOffset.MinValue, bore: new BoreKey("maoliling", "north")).Select(s => s.Passage.EventId));
        Assert.Empty(Store.ReadPassages(capturedLate.AddMilliseconds(1)));
        Assert.Equal("浙A·D12345", Store.ScalarForTests("SELECT plate_text FROM passages WHERE hazmat = " + (Store.Provider == StoreProvider.Sqlite ? "1" : "TRUE")));
    }

    [Fact]
    public void Contiguous_acknowledgement_tracks_gaps_and_out_of_order_seqs()
    {
        Assert.Equal(0, Store.HighestStoredSeq("nobody"));
        var nobody = Store.Progress("nobody");
        Assert.Equal((0L, 0L), (nobody.Contiguous, nobody.Highest));
        Assert.Empty(nobody.Gaps);

        Store.AddPassages(Seqs("a1", 3, 1, 2, 5));
        Store.AddPassages(Seqs("a1", 9, 7));
        var progress = Store.Progress("a1");
        Assert.Equal(3, progress.Contiguous);
        Assert.Equal(9, progress.Highest);
        Assert.Equal([new SeqRange(4, 4), new SeqRange(6, 6), new SeqRange(8, 8)], progress.Gaps);

        // A replay fills some gaps; a duplicate seq of an already stored event changes nothing.
        Store.AddPassages(Seqs("a1", 6, 4));
        Assert.Equal(7, Store.HighestStoredSeq("a1"));
        Assert.Equal([new SeqRange(8, 8)], Store.Progress("a1").Gaps);

        // Another agent is independent; without seq 1 nothing can be acknowledged.
        Store.AddPassages(Seqs("a2", 2, 3, 10));
        Assert.Equal(0, Store.HighestStoredSeq("a2"));
        Assert.Equal([new SeqRange(1, 1), new SeqRange(4, 9)], Store.Progress("a2").Gaps);

        Store.AddPassages(Seqs("a1", 8));
        Store.AddPassages(Seqs("a2", 1));
        Assert.Equal(9, Store.HighestStoredSeq("a1"));
        Assert.Empty(Store.Progress("a1").Gaps);
        Assert.Equal(3, Store.HighestStoredSeq("a2"));
        Assert.Equal(["a1", "a2"], Store.AllProgress().Select(p => p.AgentId).Order(StringComparer.Ordinal));
        Assert.Equal(1L, Convert.ToInt64(Store.ScalarForTests("SELECT COUNT(*) FROM agent_seq_ranges WHERE agent_id = 'a1'")));

        // A large shuffled batch merges into one run.
        var shuffled = Enumerable.Range(10, 2_000).Select(i => (long)i).OrderBy(i => (i * 7919) % 2_003).ToArray();
        Store.AddPassages(Seqs("a1", shuffled));
        Assert.Equal(2_009, Store.HighestStoredSeq("a1"));
        Assert.Equal(1L, Convert.ToInt64(Store.ScalarForTests("SELECT COUNT(*) FROM agent_seq_ranges WHERE agent_id = 'a1'")));
    }

    [Fact]
    public void Passages_stored_again_under_other_seqs_and_seqs_handled_without_a_row_count_for_their_agent()
    {
        var sent = Seqs("a1", 1, 2, 3);
        Store.AddPassages(sent);
        Assert.Equal(3, Store.HighestStoredSeq("a1"));

        // An agent whose outbox file was replaced numbers the same passages anew and sends them again: kept once, each new number handled.
        var renumbered = sent.Select((b, i) => (b.Item1 with { Seq = 4 + i }, b.Item2)).ToList();
        Assert.Empty(Store.AddPassages(renumbered));
        Assert.Equal(3, All().Count);
        Assert.Equal(6, Store.HighestStoredSeq("a1"));

        // A re-send the service had stored or queued already is handled without a row.
        Store.Store(new StoreBatch { HandledSeqs = [("a1", 7), ("a2", 1)] });
        Assert.Equal(7, Store.HighestStoredSeq("a1"));
        Assert.Equal(1, Store.HighestStoredSeq("a2"));
        Assert.Equal(3, All().Count);
    }

    [Fact]
    public void Alarm_history_is_in_time_order_and_current_state_is_the_latest_transition()
    {
        var x = Guid.NewGuid();
        var y = Guid.NewGuid();
        var raised = Alarm(x, AlarmState.ActiveUnacknowledged, T0);
        var acknowledged = Alarm(x, AlarmState.ActiveAcknowledged, T0.AddMinutes(1), by: "operator-li", note: "called the driver, 司机已联系");
        var cleared = Alarm(x, AlarmState.ClearedUnacknowledged, T0.AddMinutes(2));
        var closed = Alarm(x, AlarmState.Closed, T0.AddMinutes(3), by: "operator-li");
        var other = Alarm(y, AlarmState.ActiveUnacknowledged, T0.AddMinutes(1), plate: null);

        Store.AddAlarmTransitions([raised, cleared]);
        Store.AddAlarmTransitions([other, closed]);
        // A late transition joins the history but does not move the current state back.
        Store.AddAlarmTransitions([acknowledged]);

        Assert.Equal([Json(raised), Json(acknowledged), Json(cleared), Json(closed)], Store.AlarmHistory(x).Select(Json));
        Assert.Equal("operator-li", Store.AlarmHistory(x)[1].By);
        Assert.Equal("called the driver, 司机已联系", Store.AlarmHistory(x)[1].Note);
        Assert.Equal([Json(other)], Store.CurrentAlarms().Select(Json));
        Assert.Equal([Json(other), Json(closed)], Store.CurrentAlarms(includeClosed: true).Select(Json));
        Assert.Empty(Store.AlarmHistory(Guid.NewGuid()));
        // What a rebuild must not raise again: closed, and closed within its window.
        Assert.Equal([x], Store.ClosedAlarmIds(T0.AddMinutes(3)));
        Assert.Empty(Store.ClosedAlarmIds(T0.AddMinutes(4)));

        // Within one batch the latest by time wins, and of equal times the later one.
        var z = Guid.NewGuid();
        var shelved = Alarm(z, AlarmState.Shelved, T0.AddMinutes(5), by: "operator-wang", note: "maintenance") with { ShelvedUntil = T0.AddHours(1) };
        Store.AddAlarmTransitions([Alarm(z, AlarmState.ActiveUnacknowledged, T0.AddMinutes(5)), shelved, Alarm(z, AlarmState.ActiveUnacknowledged, T0.AddMinutes(4))]);
        Assert.Equal(Json(shelved), Json(Store.CurrentAlarms().Single(a => a.AlarmId == z)));
    }

    [Fact]
    public void Vehicles_seen_leaving_are_kept_once_each_and_read_back_oldest_first_from_a_moment()
    {
        var bore = new BoreKey("maoliling", "north");
        var (a, b, alarm) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var later = new VehicleSeenLeaving(a, bore, alarm, T0.AddMinutes(5), "operator-li");
        var earlier = new VehicleSeenLeaving(b, bore with { Bore = "south" }, alarm, T0.AddMinutes(2), "operator-wang");
        Assert.Equal(2, Store.AddVehiclesSeenLeaving([later, earlier]));
        // Told twice (two consoles, a retry): the first record stands.
        Assert.Equal(0, Store.AddVehiclesSeenLeaving([later with { At = T0.AddMinutes(9), Actor = "operator-zhao" }]));

        Assert.Equal([earlier, later], Reopen().VehiclesSeenLeavingSince(T0));
        Assert.Equal([later], Store.VehiclesSeenLeavingSince(T0.AddMinutes(3)));
    }

    [Fact]
    public void A_reason_code_and_its_arguments_are_stored_with_the_transition_and_a_row_written_before_codes_still_loads()
    {
        var id = Guid.NewGuid();
        var raised = Alarm(id, AlarmState.ActiveUnacknowledged, T0)
            .WithReason(AlarmReason.Overtaken(2, 1, 5, TimeSpan.FromSeconds(270), TimeSpan.FromSeconds(162), 9.34));
        var shelved = Alarm(id, AlarmState.Shelved, T0.AddMinutes(1), by: "operator-li").WithReason(AlarmReason.Shelved("拖车 'on its way'"));
        var cleared = Alarm(id, AlarmState.ClearedUnacknowledged, T0.AddMinutes(2)).WithReason(AlarmReason.Left(T0.AddMinutes(2), 2));
        Store.AddAlarmTransitions([raised, shelved, cleared]);

        var history = Reopen().AlarmHistory(id);
        Assert.Equal(["overdue-overtaken", "shelved", "left"], history.Select(t => t.ReasonCode));
        Assert.Equal(new Dictionary<string, string>
        {
            ["own"] = "2", ["lane"] = "1", ["other"] = "5", ["insideDuration"] = "270", ["usualDuration"] = "162", ["evidence"] = "9.3",
        }, history[0].ReasonArgs);
        Assert.Equal(["own", "lane", "other", "insideDuration", "usualDuration", "evidence"], history[0].ReasonArgs!.Keys);
        Assert.Equal(("拖车 'on its way'", null), (history[1].Reason, history[1].ReasonArgs));
        var current = Store.CurrentAlarms().Single();
        Assert.Equal(("left", "left the bore at 08:02:00 by lane 2"), (current.ReasonCode, current.Reason));
        Assert.Equal(new Dictionary<string, string> { ["lane"] = "2", ["time"] = "08:02:00", ["timeAt"] = "2025-03-01T08:02:00.000Z" }, current.ReasonArgs);

        // As an older build stored it: the sentence alone.
        var old = Guid.NewGuid();
        Store.AddAlarmTransitions([Alarm(old, AlarmState.ClearedUnacknowledged, T0.AddMinutes(3))]);
        var oldJson = $$"""
            {"schema":"tunnel.alarm.v1","alarmId":"{{old}}","kind":"overdue","state":"cleared-unacknowledged","priority":"high","site":"maoliling","bore":"north","plate":"浙A12345","at":"2025-03-01T08:03:00+00:00","lane":1,"reason":"left the bore at 08:02:30 by lane 1"}
            """;
        foreach (var table in new[] { "alarm_transitions", "alarms_current" })
            Store.WriteScalarForTests($"UPDATE {table} SET json = '{oldJson}' WHERE json LIKE '%{old}%'");
        foreach (var loaded in new[] { Store.AlarmHistory(old).Single(), Store.CurrentAlarms().Single(a => a.AlarmId == old) })
        {
            Assert.Equal("left the bore at 08:02:30 by lane 1", loaded.Reason);
            Assert.Equal((null, null), (loaded.ReasonCode, loaded.ReasonArgs));
        }
    }

    [Fact]
    public void Transits_are_upserted_by_entry_event_id()
    {
        var entry = Guid.NewGuid();
        var open = Transit(entry, "浙A12345", T0);
        Store.UpsertTransits([open, Transit(Guid.NewGuid(), null, T0.AddSeconds(10))]);
        Assert.Equal(open, Store.GetTransit(entry));

        var exit = Guid.NewGuid();
        var closed = open with { ExitEventId = exit, ExitedAt = T0.AddSeconds(180.25), TransitSeconds = 180.25, Status = "closed", Hazmat = true };
        Store.UpsertTransits([open with { Status = "overdue" }, closed]);
        Assert.Equal(closed, Store.GetTransit(entry));

        var all = Store.ReadTransits(T0, T0.AddMinutes(1));
        Assert.Equal(2, all.Count);
        Assert.Equal(entry, all[0].EntryEventId);
        Assert.Null(all[1].Plate);
        Assert.Null(all[1].PlateColor);
        Assert.Empty(Store.ReadTransits(T0, T0.AddMinutes(1), new BoreKey("maoliling", "south")));
        Assert.Equal([closed], Store.TransitsByPlate("浙A12345"));
        Assert.Null(Store.GetTransit(Guid.NewGuid()));
    }

    [Fact]
    public void A_dead_lettered_seq_closes_the_gap_for_the_contiguous_acknowledgement()
    {
        Store.AddPassages(Seqs("a1", 1, 2, 4));
        Assert.Equal(2, Store.HighestStoredSeq("a1"));

        // Without a seq the dead letter changes no agent's progress.
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "tunnel/v1/maoliling/north/entry/passage", AgentId = "a1", ReasonCode = "malformed-json", Reason = "not JSON", Payload = "{"u8.ToArray() });
        Assert.Equal(2, Store.HighestStoredSeq("a1"));

        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "tunnel/v1/maoliling/north/entry/passage", AgentId = "a1", ReasonCode = "bad-plate", Reason = "plate text has markup", Payload = "{\"seq\":3}"u8.ToArray() }, handledSeq: 3);
        var progress = Store.Progress("a1");
        Assert.Equal((4L, 4L), (progress.Contiguous, progress.Highest));
        Assert.Empty(progress.Gaps);
        Assert.Equal(1L, Convert.ToInt64(Store.ScalarForTests("SELECT COUNT(*) FROM agent_seq_ranges WHERE agent_id = 'a1'")));
        Assert.Equal(["bad-plate", "malformed-json"], Store.ReadDeadLetters(10).Select(l => l.ReasonCode));

        // The passage arriving after all (a fixed agent re-sending) is still stored, and the seq stays handled.
        Assert.Single(Store.AddPassages(Seqs("a1", 3)));
        Assert.Equal(4, Store.HighestStoredSeq("a1"));

        // A handled seq survives a reopen, and belongs to its agent only.
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "tunnel/v1/maoliling/north/entry/passage", AgentId = "a2", ReasonCode = "schema", Reason = "missing eventId", Payload = [] }, handledSeq: 1);
        Assert.Equal(1, Reopen().HighestStoredSeq("a2"));
        Assert.Equal(4, Store.HighestStoredSeq("a1"));
        Assert.Throws<ArgumentException>(() => Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "t", ReasonCode = "schema", Reason = "x", Payload = [] }, handledSeq: 1));
    }

    [Fact]
    public void Dead_letters_keep_a_capped_payload_and_are_counted_by_reason()
    {
        var big = new byte[DeadLetter.MaxStoredPayloadBytes + 1_000];
        Random.Shared.NextBytes(big);
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "tunnel/v1/maoliling/north/entry/passage", AgentId = "a1", ReasonCode = "schema", Reason = "missing eventId", Payload = "{\"seq\":1}"u8.ToArray() });
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0.AddSeconds(1), Topic = "tunnel/v1/maoliling/north/entry/passage", ReasonCode = "too-large", Reason = "payload over limit", Payload = big });
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0.AddSeconds(2), Topic = "t", ReasonCode = "schema", Reason = "bad \0 byte and lone \ud800 surrogate", Payload = [0, 1, 2] });

        var letters = Store.ReadDeadLetters(10);
        Assert.Equal(["schema", "too-large", "schema"], letters.Select(l => l.ReasonCode));
        Assert.Equal("bad \uFFFD byte and lone \uFFFD surrogate", letters[0].Reason);
        Assert.Null(letters[0].AgentId);
        Assert.Equal(big.Length, letters[1].OriginalLength);
        Assert.True(letters[1].Truncated);
        Assert.Equal(big.AsSpan(0, DeadLetter.MaxStoredPayloadBytes).ToArray(), letters[1].Payload);
        Assert.Equal("{\"seq\":1}", Encoding.UTF8.GetString(letters[2].Payload));
        Assert.False(letters[2].Truncated);
        Assert.Equal("a1", letters[2].AgentId);
        Assert.Equal(T0, letters[2].ReceivedAt);
        Assert.Equal(2, Store.ReadDeadLetters(2).Count);
        Assert.Equal(new Dictionary<string, long> { ["schema"] = 2, ["too-large"] = 1 }, Store.DeadLetterCountsByReason());
    }

    [Fact]
    public void Configuration_documents_round_trip_by_key()
    {
        Assert.Null(Store.LoadConfig("sites"));
        var sites = TunnelJson.Serialize(SitesFile.Maoliling);
        Store.SaveConfig("sites", sites, T0);
        Assert.Equal(sites, Store.LoadConfig("sites"));
        Assert.Contains("猫狸岭隧道", Store.LoadConfig("sites"));
        Store.SaveConfig("sites", "{\"sites\":[]}", T0.AddHours(1));
        Assert.Equal("{\"sites\":[]}", Store.LoadConfig("sites"));
        Assert.Null(Store.LoadConfig("other"));
    }

    [Fact]
    public void Audit_entries_are_read_newest_first_and_filtered()
    {
        Store.Audit("operator-li", "view-history", "浙A12345", null, T0);
        Store.Audit("operator-li", "acknowledge", "alarm/1", "note: 已处理", T0.AddMinutes(1));
        Store.Audit("admin", "config-change", "sites", "lanes 2 -> 3", T0.AddMinutes(2));

        var all = Store.ReadAudit();
        Assert.Equal(["config-change", "acknowledge", "view-history"], all.Select(a => a.Action));
        Assert.Equal(new AuditEntry(all[1].Id, T0.AddMinutes(1), "operator-li", "acknowledge", "alarm/1", "note: 已处理"), all[1]);
        Assert.Equal(["view-history"], Store.ReadAudit(subject: "浙A12345").Select(a => a.Action));
        Assert.Equal(2, Store.ReadAudit(actor: "operator-li").Count);
        Assert.Equal(["acknowledge"], Store.ReadAudit(from: T0.AddMinutes(1), to: T0.AddMinutes(2)).Select(a => a.Action));
        Assert.Single(Store.ReadAudit(limit: 1));
    }

    [Fact]
    public void Retention_purge_blanks_plates_older_than_the_cutoff_and_keeps_newer_ones()
    {
        var old = T0.AddDays(-40);
        var cutoff = T0.AddDays(-30);
        var oldRead = Passage("a1", 1, "浙A11111", old);
        var oldUnread = Passage("a1", 2, null, old);
        var recent = Passage("a1", 3, "沪B22222", T0);
        Store.AddPassages(Received(oldRead, oldUnread, recent));
        Store.UpsertTransits([Transit(oldRead.EventId, "浙A11111", old), Transit(recent.EventId, "沪B22222", T0)]);
        var oldAlarm = Guid.NewGuid();
        var newAlarm = Guid.NewGuid();
        Store.AddAlarmTransitions([Alarm(oldAlarm, AlarmState.ActiveUnacknowledged, old, "浙A11111"), Alarm(newAlarm, AlarmState.ActiveUnacknowledged, T0, "沪B22222")]);
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = old, Topic = "t", ReasonCode = "bad-plate", Reason = "plate '浙A11111' is not plausible", Payload = Encoding.UTF8.GetBytes("{\"plate\":\"浙A11111\"}") });
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "t", ReasonCode = "schema", Reason = "r", Payload = [1] });

        var result = Store.PurgePlates(cutoff, actor: "retention-job");

        Assert.Equal(new PurgeResult(1, 1, 1, 1, 1), result);
        var stored = All().ToDictionary(s => s.Passage.EventId, s => s.Passage);
        Assert.Equal("", stored[oldRead.EventId].Plate!.Text);
        Assert.Equal(PlateColor.Blue, stored[oldRead.EventId].Plate!.Color);
        Assert.Null(stored[oldUnread.EventId].Plate);
        Assert.Equal(Json(recent), Json(stored[recent.EventId]));
        Assert.Equal("", Store.GetTransit(oldRead.EventId)!.Plate);
        Assert.Equal("沪B22222", Store.GetTransit(recent.EventId)!.Plate);
        Assert.Equal("", Store.AlarmHistory(oldAlarm).Single().Plate);
        Assert.Equal("沪B22222", Store.AlarmHistory(newAlarm).Single().Plate);
        Assert.Equal(["", "沪B22222"], Store.CurrentAlarms().Select(a => a.Plate));
        Assert.Equal([[1], []], Store.ReadDeadLetters(10).Select(d => d.Payload));
        // The reason may quote the plate too: old ones keep only their code.
        Assert.DoesNotContain(Store.ReadDeadLetters(10), d => d.Reason.Contains("浙A11111"));
        Assert.Equal(["schema", "bad-plate"], Store.ReadDeadLetters(10).Select(d => d.ReasonCode));

        // Nothing of the old plate is left anywhere, JSON included.
        foreach (var table in new[] { "passages", "alarm_transitions", "alarms_current" })
            Assert.Equal(0L, Convert.ToInt64(Store.ScalarForTests($"SELECT COUNT(*) FROM {table} WHERE json LIKE '%浙A11111%' OR plate_text = '浙A11111'")));
        Assert.Equal(0L, Convert.ToInt64(Store.ScalarForTests("SELECT COUNT(*) FROM transits WHERE plate_text = '浙A11111'")));

        var audit = Store.ReadAudit(actor: "retention-job").Single();
        Assert.Equal("purge-plates", audit.Action);
        Assert.Contains("passages=1", audit.Detail);

        Assert.Equal(0, Store.PurgePlates(cutoff).Total);

        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "t", AgentId = "maoliling-north-exit-1", ReasonCode = "future-timestamp", Reason = "r", Payload = [2] });
        Assert.Equal(new Dictionary<string, long> { ["maoliling-north-exit-1"] = 1 }, Store.DeadLettersPerAgent(T0.AddMinutes(-1)));
        Assert.Empty(Store.DeadLettersPerAgent(T0.AddMinutes(1)));

        // Kept for inspection, not for ever: the old one goes, the recent ones stay.
        Assert.Equal(1, Store.DeleteDeadLetters(cutoff, actor: "retention-job"));
        Assert.Equal(["future-timestamp", "schema"], Store.ReadDeadLetters(10).Select(d => d.ReasonCode));
        Assert.Contains(Store.ReadAudit(actor: "retention-job"), a => a.Action == "purge-dead-letters" && a.Detail == "dead-letters=1");
        Assert.Equal(0, Store.DeleteDeadLetters(cutoff));
    }

    [Fact]
    public void Retention_purge_blanks_the_second_suspects_plate_of_an_alarm_whose_own_vehicle_was_unread()
    {
        var old = T0.AddDays(-40);
        var alarm = Guid.NewGuid();
        var suspect = new AlarmAlternative("浙B22222", Guid.NewGuid(), 2, old.AddMinutes(-3), VehicleClass.Truck);
        Store.AddAlarmTransitions(
        [
            Alarm(alarm, AlarmState.ActiveUnacknowledged, old, plate: null) with { Alternative = suspect },
            Alarm(alarm, AlarmState.ActiveAcknowledged, old.AddMinutes(1), plate: null) with { Alternative = suspect },
        ]);

        var result = Store.PurgePlates(T0.AddDays(-30));

        Assert.Equal((2L, 1L), (result.AlarmTransitions, result.CurrentAlarms));
        Assert.All(Store.AlarmHistory(alarm), t => Assert.Equal((null, ""), (t.Plate, t.Alternative!.Plate)));
        Assert.Equal((null, ""), (Store.CurrentAlarms().Single().Plate, Store.CurrentAlarms().Single().Alternative!.Plate));
        foreach (var table in new[] { "alarm_transitions", "alarms_current" })
            Assert.Equal(0L, Convert.ToInt64(Store.ScalarForTests($"SELECT COUNT(*) FROM {table} WHERE json LIKE '%浙B22222%'")));
        Assert.Equal(0, Store.PurgePlates(T0.AddDays(-30)).Total);
    }

    [Fact]
    public void A_row_the_program_cannot_read_has_its_plates_masked_and_does_not_stop_the_purge_of_the_rows_after_it()
    {
        var old = T0.AddDays(-40);
        var unreadable = Passage("a1", 1, "浙A11111", old);
        var readable = Passage("a1", 2, "浙A22222", old.AddSeconds(1));
        Store.AddPassages(Received(unreadable, readable));
        Store.AddAlarmTransitions([Alarm(Guid.NewGuid(), AlarmState.ActiveAcknowledged, old, "浙A11111", note: "浙A11111 towed")]);
        // Written by another build (a vehicle class this one does not know), or damaged.
        Store.WriteScalarForTests("""UPDATE passages SET json = '{"plate":{"text":"浙A11111"},"vehicle":{"class":"hovercraft"}}' WHERE seq = 1""");
        Store.WriteScalarForTests("""UPDATE alarm_transitions SET json = '{"plate":"浙A11111","note":"浙A11111 towed"}'""");
        Store.WriteScalarForTests("""UPDATE alarms_current SET json = '{"plate":"浙A11111"}'""");

        var result = Store.PurgePlates(T0.AddDays(-30));

        Assert.Equal((2L, 1L, 1L), (result.Passages, result.AlarmTransitions, result.CurrentAlarms));
        Assert.Equal("", Store.GetPassage(readable.EventId)!.Passage.Plate!.Text);
        foreach (var table in new[] { "passages", "alarm_transitions", "alarms_current" })
            Assert.Equal(0L, Convert.ToInt64(Store.ScalarForTests($"SELECT COUNT(*) FROM {table} WHERE json LIKE '%浙A11111%' OR plate_text = '浙A11111'")));
        Assert.Equal(0L, Convert.ToInt64(Store.ScalarForTests("SELECT COUNT(*) FROM alarm_transitions WHERE note LIKE '%浙A11111%'")));
        Assert.Equal(0, Store.PurgePlates(T0.AddDays(-30)).Total);
    }

    [Fact]
    public void Everything_survives_dispose_and_reopen()
    {
        var p = Passage("a1", 1, "浙A12345", T0);
        Store.AddPassages(Received(p));
        Store.AddPassages(Seqs("a1", 3));
        Store.UpsertTransits([Transit(p.EventId, "浙A12345", T0)]);
        var alarm = Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, T0);
        Store.AddAlarmTransitions([alarm]);
        Store.Audit("op", "view-history", "浙A12345", null, T0);
        Store.AddDeadLetter(new DeadLetter { ReceivedAt = T0, Topic = "t", ReasonCode = "schema", Reason = "r", Payload = [7] });
        Store.SaveConfig("sites", "{}", T0);

        var store = Reopen();

        // One row per migration, none re-run on reopening.
        Assert.Equal(12, store.SchemaVersion);
        Assert.Equal(12L, Convert.ToInt64(store.ScalarForTests("SELECT COUNT(*) FROM schema_version")));
        Assert.Equal(Json(p), Json(All()[0].Passage));
        var progress = store.Progress("a1");
        Assert.Equal((1L, 3L), (progress.Contiguous, progress.Highest));
        Assert.Equal([new SeqRange(2, 2)], progress.Gaps);
        Assert.Empty(store.AddPassages(Received(p)));
        Assert.Equal("浙A12345", store.GetTransit(p.EventId)!.Plate);
        Assert.Equal([Json(alarm)], store.CurrentAlarms().Select(Json));
        Assert.Single(store.ReadAudit());
        Assert.Equal([7], store.ReadDeadLetters(1).Single().Payload);
        Assert.Equal("{}", store.LoadConfig("sites"));
    }

    [Fact]
    public void The_upgrade_to_schema_4_counts_the_passages_already_stored_per_hour()
    {
        Store.AddPassages(Received(
            Passage("a1", 1, "浙A00001", T0.AddMinutes(1)), Passage("a1", 2, "浙A00002", T0.AddMinutes(59), hazmat: true),
            Passage("a1", 3, "浙A00003", T0.AddMinutes(61)), Passage("b1", 1, "浙A00004", T0.AddMinutes(5), Portal.Exit, bore: "south")));
        var counted = Store.HourlyCounts(T0, T0.AddHours(2)).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)).ToList();
        // Back to schema 3, as a database stored by an older build is.
        BackToSchema4();
        Store.WriteScalarForTests("DROP TABLE hourly_counts");
        Store.WriteScalarForTests("DROP TABLE alarm_verdicts");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 4");

        var upgraded = Reopen();
        Assert.Equal(12, upgraded.SchemaVersion);
        Assert.Equal(
        [
            (T0, "north", "entry", "car", false, 1L), (T0, "north", "entry", "truck", true, 1L), (T0, "south", "exit", "car", false, 1L),
            (T0.AddHours(1), "north", "entry", "car", false, 1L),
        ], upgraded.HourlyCounts(T0, T0.AddHours(2)).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
        Assert.Equal(counted, upgraded.HourlyCounts(T0, T0.AddHours(2)).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
    }

    private void BackToSchema4()
    {
        BackToSchema5();
        Store.WriteScalarForTests("DROP INDEX ix_alarm_transitions_unpublished");
        Store.WriteScalarForTests("ALTER TABLE alarm_transitions DROP COLUMN published");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 5");
    }

    private void BackToSchema5()
    {
        BackToSchema6();
        Store.WriteScalarForTests("DROP TABLE login_failures");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 6");
    }

    private void BackToSchema6()
    {
        BackToSchema7();
        foreach (var index in KeptIndexes) Store.WriteScalarForTests($"DROP INDEX {index}");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 7");
    }

    private void BackToSchema7()
    {
        BackToSchema8();
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 8");
    }

    private void BackToSchema8()
    {
        BackToSchema9();
        foreach (var index in new[] { "ix_passages_hazmat_exit", "ix_transits_hazmat_exit" }) Store.WriteScalarForTests($"DROP INDEX {index}");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 9");
    }

    private void BackToSchema9()
    {
        BackToSchema10();
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 10");
    }

    private void BackToSchema10()
    {
        BackToSchema11();
        Store.WriteScalarForTests("DROP TABLE ended_sessions");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 11");
    }

    [Fact]
    public void The_upgrade_to_schema_10_keys_again_the_contacts_the_earlier_plate_key_left_with_invisible_or_odd_separators()
    {
        BackToSchema9();
        // As schema 8's key left them: a zero-width space and an en dash were kept then.
        SaveContactAsTyped("浙C\u200B9H907", "浙C9H907", "王师傅", T0);
        SaveContactAsTyped("沪B55–555", "沪B55555", "李师傅", T0);

        var upgraded = Reopen();

        Assert.Equal(12, upgraded.SchemaVersion);
        Assert.Equal(["沪B55555", "浙C9H907"], upgraded.ListContacts().Select(c => c.Plate).Order(StringComparer.Ordinal));
        Assert.Equal("王师傅", upgraded.GetContact("浙C9H907")?.Name);
    }

    [Fact]
    public void The_upgrade_to_schema_11_lets_a_database_of_schema_10_keep_ended_sessions()
    {
        BackToSchema10();
        Store.AddPassages(Received(Passage("a1", 1, "浙A12345", T0)));

        var upgraded = Reopen();

        Assert.Equal(12, upgraded.SchemaVersion);
        upgraded.EndSession("session-1", T0.AddHours(12), T0);
        Assert.True(upgraded.SessionEnded("session-1"));
        Assert.Single(upgraded.ReadPassages(DateTimeOffset.MinValue));
    }

    private void BackToSchema11()
    {
        Store.WriteScalarForTests("DROP TABLE vehicles_seen_leaving");
        Store.WriteScalarForTests("DELETE FROM schema_version WHERE version = 12");
    }

    [Fact]
    public void The_upgrade_to_schema_12_lets_a_database_of_schema_11_keep_vehicles_seen_leaving()
    {
        BackToSchema11();
        Store.AddPassages(Received(Passage("a1", 1, "浙A12345", T0)));

        var upgraded = Reopen();

        Assert.Equal(12, upgraded.SchemaVersion);
        var seen = new VehicleSeenLeaving(Guid.NewGuid(), new BoreKey("maoliling", "north"), Guid.NewGuid(), T0, "op");
        Assert.Equal(1, upgraded.AddVehiclesSeenLeaving([seen]));
        Assert.Equal([seen], upgraded.VehiclesSeenLeavingSince(T0));
        Assert.Single(upgraded.ReadPassages(DateTimeOffset.MinValue));
    }

    /// <summary>A contact as a build before schema 8 stored it: under its plate as typed.</summary>
    private void SaveContactAsTyped(string typed, string keyed, string name, DateTimeOffset at)
    {
        Store.SaveContact(new DriverContact { Plate = keyed, Name = name, Phone = "13800000001", UpdatedBy = "op", UpdatedAt = at });
        Store.WriteScalarForTests($"UPDATE contacts SET plate_text = '{typed}' WHERE plate_text = '{keyed}'");
    }

    [Fact]
    public void The_upgrade_to_schema_8_keys_contacts_saved_as_typed_by_the_plate_cameras_read_and_keeps_the_latest_of_one_vehicles_two()
    {
        BackToSchema7();
        SaveContactAsTyped("浙c 9h·907", "浙C9H907", "王师傅", T0);
        // One vehicle entered twice: typed from a fleet's list later, and earlier as the camera reads it.
        SaveContactAsTyped("沪b 55-555", "沪B55555", "typed later", T0.AddMinutes(5));
        Store.SaveContact(new DriverContact { Plate = "沪B55555", Name = "keyed earlier", Phone = "13900000002", UpdatedBy = "op", UpdatedAt = T0 });
        Store.SaveContact(new DriverContact { Plate = "苏E12345", Name = "untouched", Phone = "13700000003", UpdatedBy = "op", UpdatedAt = T0 });
        var alarm = Guid.NewGuid();
        Store.AddContactAttempt(alarm, "op", "reached", null, T0);
        Store.Audit("op", "contact-created", "contact:浙c *****7", null, T0);

        var upgraded = Reopen();

        Assert.Equal("王师傅", upgraded.GetContact("浙C9H907")?.Name);
        Assert.Equal("typed later", upgraded.GetContact("沪B55555")?.Name);
        Assert.Equal(["沪B55555", "浙C9H907", "苏E12345"], upgraded.ListContacts().Select(c => c.Plate).Order(StringComparer.Ordinal));
        Assert.Equal(12, upgraded.SchemaVersion);
        // Attempts name the alarm and the audit log keeps what it recorded: neither is rewritten.
        Assert.Equal("reached", Assert.Single(upgraded.ContactAttempts(alarm)).Outcome);
        Assert.Equal("contact:浙c *****7", Assert.Single(upgraded.ReadAudit()).Subject);
    }

    private static readonly string[] KeptIndexes = ["ix_passages_plate_kept", "ix_transits_plate_kept", "ix_dead_letters_payload_kept"];

    private long IndexCount(string name) => Convert.ToInt64(Store.ScalarForTests(Store.Provider == StoreProvider.Sqlite
        ? $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"
        : $"SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '{name}'"));

    [Fact]
    public void A_purge_over_more_rows_than_a_chunk_takes_them_all_and_the_upgrade_to_schema_7_indexes_those_left_to_blank()
    {
        // A first purge over months of rows (retention turned on late, an old database restored) works a chunk at a time.
        const int rows = 1_234;
        var old = T0.AddDays(-40);
        var passages = Enumerable.Range(1, rows).Select(i => Passage("a1", i, i % 10 == 0 ? null : $"浙A{i:D5}", old.AddSeconds(i))).ToList();
        Store.Store(new StoreBatch
        {
            Passages = Received([.. passages]),
            Transits = [.. passages.Select(p => Transit(p.EventId, p.Plate?.Text, p.CapturedAt))],
            DeadLetters = [.. passages.Take(600).Select(p => (new DeadLetter { ReceivedAt = p.CapturedAt, Topic = "t", ReasonCode = "bad-plate", Reason = "r", Payload = [1] }, (long?)null))],
        });
        Store.AddPassages(Received(Passage("a1", rows + 1, "沪B22222", T0)));
        BackToSchema6();
        var upgraded = Reopen();
        Assert.Equal(12, upgraded.SchemaVersion);
        Assert.All(KeptIndexes, index => Assert.Equal(1L, IndexCount(index)));

        var read = rows - rows / 10;
        Assert.Equal(new PurgeResult(read, read, 0, 0, 600), upgraded.PurgePlates(T0.AddDays(-30)));
        Assert.Equal(1L, Convert.ToInt64(upgraded.ScalarForTests("SELECT COUNT(*) FROM passages WHERE plate_text <> ''")));
        Assert.Equal(0L, Convert.ToInt64(upgraded.ScalarForTests("SELECT COUNT(*) FROM transits WHERE plate_text <> ''")));
        Assert.Equal(rows / 10, Convert.ToInt64(upgraded.ScalarForTests("SELECT COUNT(*) FROM transits WHERE plate_text IS NULL")));
        Assert.Equal(0L, Convert.ToInt64(upgraded.ScalarForTests("SELECT COUNT(*) FROM dead_letters WHERE payload IS NOT NULL")));
        Assert.Equal(0, upgraded.PurgePlates(T0.AddDays(-30)).Total);
        Assert.Equal(600, upgraded.DeleteDeadLetters(T0.AddDays(-30)));
        Assert.Empty(upgraded.ReadDeadLetters(10));
    }

    [Fact]
    public void Alarm_transitions_wait_to_be_published_in_the_order_stored_and_across_a_reopen_until_the_broker_took_them()
    {
        var id = Guid.NewGuid();
        var raised = Alarm(id, AlarmState.ActiveUnacknowledged, T0);
        var acknowledged = Alarm(id, AlarmState.ActiveAcknowledged, T0.AddSeconds(30));
        var other = Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, T0.AddSeconds(10));
        Store.AddAlarmTransitions([raised, other]);
        Store.AddAlarmTransitions([acknowledged]);
        Assert.Equal([Json(raised), Json(other), Json(acknowledged)], Store.UnpublishedAlarms().Select(Json));

        Store.Store(new StoreBatch { PublishedAlarms = [raised, other] });
        Store.Store(new StoreBatch { PublishedAlarms = [other] }); // a PUBACK told twice changes nothing
        Assert.Equal([Json(acknowledged)], Store.UnpublishedAlarms().Select(Json));
        Assert.Equal([Json(acknowledged)], Reopen().UnpublishedAlarms().Select(Json));

        // The plate retention rewrites a stored transition's text; the broker's acceptance still finds it.
        Store.PurgePlates(T0.AddDays(1));
        Store.Store(new StoreBatch { PublishedAlarms = [acknowledged] });
        Assert.Empty(Store.UnpublishedAlarms());
    }

    [Fact]
    public void Retention_masks_plates_and_phone_numbers_in_operators_texts_older_than_the_cutoff_once()
    {
        var old = T0.AddDays(-40);
        var cutoff = T0.AddDays(-30);
        var oldAlarm = Guid.NewGuid();
        var newAlarm = Guid.NewGuid();
        Store.AddAlarmTransitions(
        [
            Alarm(oldAlarm, AlarmState.ActiveAcknowledged, old, note: "浙A11111 towed, driver on 138 1234 5678"),
            Alarm(oldAlarm, AlarmState.Shelved, old.AddMinutes(1)) with
            {
                Reason = "shelved: waiting for 浙B22222", ReasonCode = "shelved", ReasonArgs = new Dictionary<string, string> { ["reason"] = "waiting for 浙B22222" },
            },
            Alarm(newAlarm, AlarmState.ActiveAcknowledged, T0, note: "沪C33333 towed"),
        ]);
        Store.AddContactAttempt(oldAlarm, "op", "reached", "called 13812345678", old);
        Store.AddAlarmVerdict(oldAlarm, "op", TunnelStore.Confirmed, "浙A11111 had a flat tyre", old);
        Store.AddAlarmVerdict(newAlarm, "op", TunnelStore.Confirmed, "沪C33333 had a flat tyre", T0);

        var result = Store.PurgePlates(cutoff);

        Assert.Equal(5, result.Texts); // two alarm rows, the current row of the old alarm, the attempt, the old verdict
        var history = Store.AlarmHistory(oldAlarm);
        Assert.Equal("浙A1***1 towed, driver on 138*********8", history[0].Note);
        Assert.Equal("shelved: waiting for 浙B2***2", history[1].Reason);
        Assert.Equal("waiting for 浙B2***2", history[1].ReasonArgs!["reason"]);
        Assert.Equal("called 138*******8", Store.ContactAttempts(oldAlarm).Single().Note);
        Assert.Equal("浙A1***1 had a flat tyre", Store.AlarmVerdicts(oldAlarm).Single().Note);
        // Newer texts are kept as written until their turn comes.
        Assert.Equal("沪C33333 towed", Store.AlarmHistory(newAlarm).Single().Note);
        Assert.Equal("沪C33333 had a flat tyre", Store.AlarmVerdicts(newAlarm).Single().Note);
        Assert.Equal(0L, Convert.ToInt64(Store.ScalarForTests("SELECT COUNT(*) FROM alarm_transitions WHERE note LIKE '%浙A11111%' OR json LIKE '%浙B22222%'")));

        // Each row once: the next purge starts where this one stopped.
        Assert.Equal(0, Reopen().PurgePlates(cutoff.AddHours(1)).Texts);
        Assert.Equal(3, Store.PurgePlates(T0.AddMinutes(1)).Texts); // the new alarm's row, its current row, its verdict
        Assert.Equal("沪C3***3 towed", Store.AlarmHistory(newAlarm).Single().Note);
    }

    [Fact]
    public void Two_transitions_of_one_alarm_with_the_same_time_and_state_are_marked_published_one_acceptance_each()
    {
        var id = Guid.NewGuid();
        var escalated = Alarm(id, AlarmState.ActiveUnacknowledged, T0) with { Priority = AlarmPriority.Critical };
        var secondSuspect = Alarm(id, AlarmState.ActiveUnacknowledged, T0) with { Note = "second suspect" };
        Store.AddAlarmTransitions([escalated, secondSuspect]);

        Store.Store(new StoreBatch { PublishedAlarms = [escalated] });
        // The broker took the first; the second is still to be sent, after a restart too.
        Assert.Equal([Json(secondSuspect)], Reopen().UnpublishedAlarms().Select(Json));
        Store.Store(new StoreBatch { PublishedAlarms = [secondSuspect] });
        Assert.Empty(Store.UnpublishedAlarms());
    }

    [Fact]
    public void The_upgrade_to_schema_5_counts_the_alarm_transitions_already_stored_as_published()
    {
        // Stored by an older build, which published it (or never could say).
        Store.AddAlarmTransitions([Alarm(Guid.NewGuid(), AlarmState.Closed, T0)]);
        BackToSchema4();
        var upgraded = Reopen();
        Assert.Equal(12, upgraded.SchemaVersion);
        Assert.Empty(upgraded.UnpublishedAlarms());
        var later = Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, T0.AddMinutes(1));
        upgraded.AddAlarmTransitions([later]);
        Assert.Equal([Json(later)], upgraded.UnpublishedAlarms().Select(Json));
    }

    [Fact]
    public void Readers_see_whole_batches_while_a_writer_stores()
    {
        const int batches = 40, size = 250;
        Store.AddPassages(Seqs("warmup", 1));
        var writing = true;
        var failures = new List<Exception>();
        var readerPasses = 0;
        void Reader(Func<long> count, long warmup)
        {
            try
            {
                long previous = 0;
                while (Volatile.Read(ref writing))
                {
                    var seen = count() - warmup;
                    Assert.True(seen % size == 0, $"a reader saw part of a batch: {seen}");
                    Assert.True(seen >= previous, $"a reader went back in time: {previous} then {seen}");
                    previous = seen;
                    Interlocked.Increment(ref readerPasses);
                }
            }
            catch (Exception e)
            {
                lock (failures) failures.Add(e);
            }
        }
        var readers = new[]
        {
            new Thread(() => Reader(() => Store.ReadPassages(DateTimeOffset.MinValue).LongCount(), 1)),
            new Thread(() => Reader(() => Store.HighestStoredSeq("w"), 0)),
            new Thread(() => Reader(() =>
            {
                var progress = Store.Progress("w");
                Assert.Empty(progress.Gaps);
                return progress.Contiguous;
            }, 0)),
        };
        foreach (var reader in readers) reader.Start();
        try
        {
            for (var b = 0; b < batches; b++)
            {
                Store.AddPassages(Seqs("w", [.. Enumerable.Range(b * size + 1, size).Select(i => (long)i)]));
            }
        }
        finally
        {
            Volatile.Write(ref writing, false);
            foreach (var reader in readers) reader.Join();
        }
        Assert.Empty(failures);
        Assert.Equal(batches * size, Store.HighestStoredSeq("w"));
        Output.WriteLine($"{Store.Provider}: {readerPasses} reader passes while writing {batches} batches");
    }

    [Fact]
    public void A_batch_of_ten_thousand_passages_is_stored_in_one_call()
    {
        const int count = 10_000;
        var batch = Enumerable.Range(1, count).Select(i => (Passage("bulk", i, $"浙A{i:D5}", T0.AddMilliseconds(i * 100)), T0.AddMilliseconds(i * 100 + 50))).ToList();
        Store.AddPassages(Seqs("warmup", 1));

        var cpu = ThreadCpu.Now();
        var clock = Stopwatch.StartNew();
        var fresh = Store.AddPassages(batch);
        var insert = clock.Elapsed;
        var insertCpu = ThreadCpu.Now() - cpu;
        clock.Restart();
        var again = Store.AddPassages(batch);
        var duplicates = clock.Elapsed;
        clock.Restart();
        var read = Store.ReadPassages(T0).ToList();
        var readBack = clock.Elapsed;
        clock.Restart();
        for (var i = 0; i < 100; i++)
            Store.AddPassages([.. Enumerable.Range(1, 100).Select(j => (Passage("small", i * 100 + j, "浙B00001", T0), T0))]);
        var small = clock.Elapsed;

        Assert.Equal(count, fresh.Count);
        Assert.Empty(again);
        Assert.Equal(batch.Select(b => b.Item1.EventId), read.Where(r => r.Passage.AgentId == "bulk").Select(r => r.Passage.EventId));
        Assert.Equal(count, Store.HighestStoredSeq("bulk"));
        Assert.Equal(count, Store.HighestStoredSeq("small"));
        Output.WriteLine($"{Store.Provider}: 10,000 new in one batch {insert.TotalMilliseconds:F0} ms ({count / insert.TotalSeconds:F0}/s, this thread's CPU {insertCpu.TotalMilliseconds:F0} ms); " +
                         $"same 10,000 again (all duplicates) {duplicates.TotalMilliseconds:F0} ms; read back {read.Count} {readBack.TotalMilliseconds:F0} ms; " +
                         $"100 batches of 100 {small.TotalMilliseconds:F0} ms ({10_000 / small.TotalSeconds:F0}/s)");
    }
    [Fact]
    public void One_batch_stores_passages_dead_letters_transits_and_alarms_together_or_not_at_all()
    {
        var alarm = Guid.NewGuid();
        var entry = Guid.NewGuid();
        var letter = new DeadLetter { ReceivedAt = T0, Topic = "tunnel/v1/maoliling/north/entry/passage", AgentId = "a1", ReasonCode = "bad-plate", Reason = "markup", Payload = "{}"u8.ToArray() };
        var first = Store.Store(new StoreBatch
        {
            Passages = Seqs("a1", 1, 2).Concat(Seqs("a2", 1)).ToList(),
            DeadLetters = [(letter, 3L), (letter with { AgentId = null }, null)],
            Transits = [Transit(entry, "浙A12345", T0)],
            Alarms = [Alarm(alarm, AlarmState.ActiveUnacknowledged, T0)],
        });
        Assert.Equal(3, first.NewPassages.Count);
        Assert.Equal(3, All().Count);
        // Seq 3 of a1 is handled by its dead letter in the same commit.
        Assert.Equal(3, Store.HighestStoredSeq("a1"));
        Assert.Equal(new Dictionary<string, StoredSeqs> { ["a1"] = new(3, 3), ["a2"] = new(1, 1), ["nobody"] = new(0, 0) },
            Store.StoredSeqsOf(["a1", "a2", "nobody", "a1"]));
        Assert.Equal(2, Store.ReadDeadLetters(10).Count);
        Assert.NotNull(Store.GetTransit(entry));
        Assert.Equal([alarm], Store.CurrentAlarms().Select(a => a.AlarmId));

        // One part the database refuses (a transit without its site) takes the whole batch back with it.
        var refused = new StoreBatch
        {
            Passages = Seqs("a1", 4),
            DeadLetters = [(letter with { Reason = "second" }, 5L)],
            Transits = [Transit(Guid.NewGuid(), null, T0) with { Site = null! }],
            Alarms = [Alarm(alarm, AlarmState.ActiveAcknowledged, T0.AddMinutes(1))],
        };
        Assert.ThrowsAny<Exception>(() => Store.Store(refused));
        Assert.Equal(3, All().Count);
        Assert.Equal(3, Store.HighestStoredSeq("a1"));
        Assert.Equal(2, Store.ReadDeadLetters(10).Count);
        Assert.Equal(AlarmState.ActiveUnacknowledged, Store.CurrentAlarms().Single().State);

        // The store writes again after the failure (the write connection was replaced), and the batch stores whole once fixed.
        var fixedBatch = refused with { Transits = [Transit(Guid.NewGuid(), null, T0)] };
        Assert.Single(Store.Store(fixedBatch).NewPassages);
        Assert.Equal(5, Store.HighestStoredSeq("a1"));
        Assert.Equal(3, Store.ReadDeadLetters(10).Count);
        Assert.Equal(AlarmState.ActiveAcknowledged, Store.CurrentAlarms().Single().State);
        // Stored again: idempotent for passages and transits.
        Assert.Empty(Store.Store(fixedBatch with { DeadLetters = [] }).NewPassages);
        Assert.Equal(4, All().Count);
    }

    [Fact]
    public void Seqs_an_agent_holds_no_more_are_awaited_no_more_and_the_ones_never_stored_are_told()
    {
        // Stored: 1-2 and 5. The agent's outbox file with 3 and 4 was lost, and its new file continued after 7.
        Store.Store(new StoreBatch { Passages = Seqs("a1", 1, 2, 5) });
        Assert.Equal(new StoredSeqs(2, 5), Store.StoredSeqsOf(["a1"])["a1"]);
        var result = Store.Store(new StoreBatch { ConfirmedThrough = [("a1", 7)] });
        Assert.Equal([("a1", new SeqRange(3, 4)), ("a1", new SeqRange(6, 7))], result.NoLongerAwaited);
        Assert.Equal(new StoredSeqs(7, 7), Store.StoredSeqsOf(["a1"])["a1"]);
        // What the agent says every ten seconds, at or below what is handled, changes nothing; its next passage moves on.
        var next = Store.Store(new StoreBatch { Passages = Seqs("a1", 8), ConfirmedThrough = [("a1", 7), ("a1", 4)] });
        Assert.Empty(next.NoLongerAwaited);
        Assert.Equal(new StoredSeqs(8, 8), Store.StoredSeqsOf(["a1"])["a1"]);
        Assert.Empty(Store.Progress("a1").Gaps);
        Assert.Equal(4, All().Count);
    }

    [Fact]
    public void A_steady_writer_prepares_its_statements_once()
    {
        void Batch(long seq) => Store.Store(new StoreBatch
        {
            Passages = Seqs("a1", seq),
            Transits = [Transit(Guid.NewGuid(), "浙A12345", T0)],
            Alarms = [Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, T0)],
        });
        Batch(1);
        Batch(2);
        Store.StoredSeqsOf(["a1"]);
        var prepared = Store.PreparedStatementsForTests;
        Assert.True(prepared > 0);
        for (var seq = 3; seq <= 30; seq++)
        {
            Batch(seq);
            Store.StoredSeqsOf(["a1"]);
        }
        Assert.Equal(prepared, Store.PreparedStatementsForTests);
        Assert.Equal(30, Store.HighestStoredSeq("a1"));
        Assert.Equal(30, All().Count);
    }
}
