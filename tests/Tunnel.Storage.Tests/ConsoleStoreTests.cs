using Tunnel.Core.Contracts;
using static Tunnel.Storage.Tests.TestData;

namespace Tunnel.Storage.Tests;

/// <summary>What the web console asks of the store (contacts, vehicle history, agent quality, lock-outs, the managers' reports beyond the hourly counts), on every provider.</summary>
public abstract class ConsoleStoreContract : IDisposable
{
    private TunnelStore? _store;

    protected abstract StoreOptions Options { get; }

    protected TunnelStore Store => _store ??= TunnelStore.Open(Options);

    public virtual void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void The_schema_is_at_version_12()
    {
        Assert.Equal(12, Store.SchemaVersion);
    }

    [Fact]
    public void A_session_ended_stays_ended_across_a_restart_until_its_cookie_would_have_expired_and_no_other_session_ends_with_it()
    {
        Store.EndSession("logged-out", T0.AddHours(12), T0);
        Store.EndSession("short", T0.AddHours(1), T0);
        _store!.Dispose();
        _store = TunnelStore.Open(Options);

        Assert.True(Store.SessionEnded("logged-out"));
        Assert.False(Store.SessionEnded("same-user-other-screen"));
        Assert.Equal(new HashSet<string> { "logged-out", "short" }, Store.EndedSessions());

        // Past its cookie's expiry an ended session is forgotten at the next logout: the table holds the last hours' only.
        Store.EndSession("later", T0.AddHours(14), T0.AddHours(2));
        Assert.Equal(new HashSet<string> { "logged-out", "later" }, Store.EndedSessions());
        Assert.False(Store.SessionEnded("short"));
    }

    [Fact]
    public void Contacts_are_saved_replaced_searched_and_deleted_by_plate()
    {
        Assert.Null(Store.GetContact("浙A12345"));
        Store.SaveContact(new DriverContact { Plate = "浙A12345", Name = "王师傅", Phone = "13800000001", Company = "宁波危化运输", UpdatedBy = "op", UpdatedAt = T0 });
        Store.SaveContact(new DriverContact { Plate = "沪B55555", Name = "Li", Phone = "13900000002", UpdatedBy = "admin", UpdatedAt = T0 });
        Store.SaveContact(new DriverContact { Plate = "浙A12345", Name = "王师傅", Phone = "13800000009", Note = "夜班", UpdatedBy = "admin", UpdatedAt = T0.AddMinutes(1) });

        var contact = Store.GetContact("浙A12345")!;
        Assert.Equal(("13800000009", "夜班", (string?)null, "admin", T0.AddMinutes(1)), (contact.Phone, contact.Note, contact.Company, contact.UpdatedBy, contact.UpdatedAt));
        Assert.Equal(["沪B55555", "浙A12345"], Store.ListContacts().Select(c => c.Plate).Order(StringComparer.Ordinal));
        Assert.Equal(["浙A12345"], Store.ListContacts("王").Select(c => c.Plate));
        Assert.True(Store.DeleteContact("浙A12345"));
        Assert.False(Store.DeleteContact("浙A12345"));
        Assert.Null(Store.GetContact("浙A12345"));
    }

    [Fact]
    public void A_contact_saved_as_typed_is_kept_and_found_under_the_plate_cameras_read()
    {
        Store.SaveContact(new DriverContact { Plate = " 浙c 9h·907", Name = "王师傅", Phone = "13800000001", UpdatedBy = "op", UpdatedAt = T0 });

        Assert.Equal("王师傅", Store.GetContact("浙C9H907")?.Name);
        Assert.Equal(["浙C9H907"], Store.ListContacts().Select(c => c.Plate));
        // Full-width, as a Chinese input method types it.
        Store.SaveContact(new DriverContact { Plate = "浙Ｃ９Ｈ-９０７", Name = "王师傅", Phone = "13800000009", UpdatedBy = "op", UpdatedAt = T0.AddMinutes(1) });
        Assert.Equal("13800000009", Assert.Single(Store.ListContacts()).Phone);
        Assert.True(Store.DeleteContact("浙c9h 907"));
        Assert.Null(Store.GetContact("浙C9H907"));
        Assert.Throws<ArgumentException>(() => Store.SaveContact(new DriverContact { Plate = " · ", Name = "x", Phone = "13800000001", UpdatedBy = "op", UpdatedAt = T0 }));
    }

    [Fact]
    public void Contacts_are_searched_in_either_case_of_their_letters_on_every_provider()
    {
        Store.SaveContact(new DriverContact { Plate = "沪B55555", Name = "Li Wei", Phone = "13900000002", Company = "Sinopec", UpdatedBy = "admin", UpdatedAt = T0 });
        Store.SaveContact(new DriverContact { Plate = "浙A12345", Name = "王师傅", Phone = "13800000001", UpdatedBy = "admin", UpdatedAt = T0 });

        foreach (var search in new[] { "b555", "B555", "li wei", "SINOPEC" })
            Assert.Equal(["沪B55555"], Store.ListContacts(search).Select(c => c.Plate));
        Assert.Equal(["浙A12345"], Store.ListContacts("王").Select(c => c.Plate));
    }

    [Fact]
    public void Contact_attempts_are_kept_per_alarm_in_order()
    {
        var alarm = Guid.NewGuid();
        Store.AddContactAttempt(alarm, "op", "no-answer", null, T0);
        Store.AddContactAttempt(alarm, "op2", "reached", "on the hard shoulder", T0.AddMinutes(2));
        Store.AddContactAttempt(Guid.NewGuid(), "op", "wrong-number", null, T0);
        var attempts = Store.ContactAttempts(alarm);
        Assert.Equal([("no-answer", "op", (string?)null), ("reached", "op2", "on the hard shoulder")], attempts.Select(a => (a.Outcome, a.Actor, a.Note)));
        Assert.Equal(T0.AddMinutes(2), attempts[1].At);
    }

    [Fact]
    public void A_vehicles_passages_and_alarms_are_found_by_plate_newest_first_and_never_after_the_retention_purge()
    {
        var old = Passage("a1", 1, "浙A12345", T0);
        var other = Passage("a1", 2, "浙A99999", T0.AddMinutes(1));
        var recent = Passage("a2", 1, "浙A12345", T0.AddMinutes(30), Portal.Exit);
        Store.AddPassages(Received(old, other, recent));
        var alarm = Guid.NewGuid();
        Store.AddAlarmTransitions([Alarm(alarm, AlarmState.ActiveUnacknowledged, T0.AddMinutes(5)), Alarm(alarm, AlarmState.ActiveAcknowledged, T0.AddMinutes(6))]);
        Store.AddAlarmTransitions([Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, T0.AddMinutes(7), plate: "浙A99999")]);

        Assert.Equal([recent.EventId, old.EventId], Store.PassagesByPlate("浙A12345").Select(p => p.Passage.EventId));
        var alarms = Store.AlarmsByPlate("浙A12345");
        Assert.Equal(AlarmState.ActiveAcknowledged, Assert.Single(alarms).State);
        Assert.Equal(old.EventId, Store.GetPassage(old.EventId)!.Passage.EventId);
        Assert.Null(Store.GetPassage(Guid.NewGuid()));
        Assert.Equal([recent.EventId, other.EventId], Store.RecentPassages(new BoreKey("maoliling", "north"), 2).Select(p => p.Passage.EventId));

        Store.PurgePlates(T0.AddMinutes(10));
        Assert.Equal([recent.EventId], Store.PassagesByPlate("浙A12345").Select(p => p.Passage.EventId));
        Assert.Empty(Store.AlarmsByPlate("浙A12345"));
        Assert.Empty(Store.PassagesByPlate(""));
    }

    [Fact]
    public void Agent_quality_counts_unread_plates_and_exits_no_transit_claims()
    {
        var entry = Passage("in-1", 1, "浙A12345", T0);
        var unreadEntry = Passage("in-1", 2, null, T0.AddSeconds(10));
        var matchedExit = Passage("out-1", 1, "浙A12345", T0.AddMinutes(3), Portal.Exit);
        var orphanExit = Passage("out-1", 2, null, T0.AddMinutes(3).AddSeconds(5), Portal.Exit);
        var outside = Passage("out-1", 3, "浙A77777", T0.AddHours(2), Portal.Exit);
        Store.AddPassages(Received(entry, unreadEntry, matchedExit, orphanExit, outside));
        Store.UpsertTransits([Transit(entry.EventId, "浙A12345", T0) with { ExitEventId = matchedExit.EventId, ExitedAt = matchedExit.CapturedAt, Status = "exact" }]);

        var quality = Store.AgentQualities(T0, T0.AddHours(1)).ToDictionary(q => q.AgentId);
        Assert.Equal(new AgentQuality("in-1", 2, 1, 0, 0), quality["in-1"]);
        Assert.Equal(new AgentQuality("out-1", 2, 1, 2, 1), quality["out-1"]);
        Assert.Equal(0.5, quality["out-1"].UnmatchedExitShare);
        Assert.Null(quality["in-1"].UnmatchedExitShare);

        var latest = Store.LatestPassagePerAgent(T0).Select(p => p.Passage.EventId);
        Assert.Equal([unreadEntry.EventId, outside.EventId], latest);
    }

    [Fact]
    public void Hourly_counts_group_passages_by_hour_bore_portal_class_and_hazmat_in_the_database()
    {
        Store.AddPassages(Received(
            Passage("a1", 1, "浙A00001", T0.AddMinutes(1)), Passage("a1", 2, null, T0.AddMinutes(59)),
            Passage("a1", 3, "浙A00003", T0.AddMinutes(61), hazmat: true), Passage("b1", 1, "浙A00004", T0.AddMinutes(5), Portal.Exit, bore: "south"),
            Passage("a1", 4, "浙A00005", T0.AddHours(5))));
        var counts = Store.HourlyCounts(T0, T0.AddHours(2));
        Assert.Equal(
        [
            (T0, "north", "entry", "car", false, 2L), (T0, "south", "exit", "car", false, 1L), (T0.AddHours(1), "north", "entry", "truck", true, 1L),
        ], counts.Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
    }

    [Fact]
    public void Hourly_counts_are_kept_as_passages_are_stored_a_repeat_counts_once_and_a_late_one_in_its_own_hour()
    {
        var first = Passage("a1", 1, "浙A00001", T0.AddMinutes(10));
        Store.AddPassages(Received(first, first, Passage("a1", 2, "浙A00002", T0.AddMinutes(20))));
        Store.AddPassages(Received(first)); // an agent's re-send after a lost acknowledgement
        // Delivered an hour late: it counts in the hour it was captured.
        Store.AddPassages([(Passage("a1", 3, "浙A00003", T0.AddMinutes(30)), T0.AddHours(1.5))]);
        Store.AddPassages(Received(Passage("a1", 4, "浙A00004", T0.AddMinutes(70))));

        Assert.Equal([(T0, 3L), (T0.AddHours(1), 1L)], Store.HourlyCounts(T0, T0.AddHours(2)).Select(c => (c.Hour, c.Passages)));
        // A start inside an hour takes that whole hour.
        Assert.Equal([(T0, 3L)], Store.HourlyCounts(T0.AddMinutes(59), T0.AddHours(1)).Select(c => (c.Hour, c.Passages)));
        Assert.Equal(4L, Convert.ToInt64(Store.ScalarForTests("SELECT SUM(passages) FROM hourly_counts")));
    }

    [Fact]
    public void Hazmat_only_at_the_exit_counts_exits_flagged_hazmat_that_no_transit_with_a_flagged_entry_claims()
    {
        var bothIn = Passage("in-1", 1, "浙A00001", T0, hazmat: true);
        var bothOut = Passage("out-1", 1, "浙A00001", T0.AddMinutes(3), Portal.Exit, hazmat: true);
        var missedIn = Passage("in-1", 2, "浙A00002", T0.AddMinutes(1)); // the entry camera missed the orange panel
        var missedOut = Passage("out-1", 2, "浙A00002", T0.AddMinutes(4), Portal.Exit, hazmat: true);
        var flaggedIn = Passage("in-1", 3, "浙A00003", T0.AddMinutes(2), hazmat: true); // flagged at the entry only
        var plainOut = Passage("out-1", 3, "浙A00003", T0.AddMinutes(5), Portal.Exit);
        var orphanOut = Passage("out-1", 4, null, T0.AddMinutes(6), Portal.Exit, hazmat: true); // matched no entry
        var laterOut = Passage("out-1", 5, null, T0.AddHours(2), Portal.Exit, hazmat: true); // after the period
        Store.AddPassages(Received(bothIn, bothOut, missedIn, missedOut, flaggedIn, plainOut, orphanOut, laterOut));
        TransitRecord Closed(Passage entry, Passage exit, string status) => Transit(entry.EventId, entry.Plate!.Text, entry.CapturedAt) with
        {
            Hazmat = entry.Vehicle.Hazmat, ExitEventId = exit.EventId, ExitedAt = exit.CapturedAt,
            TransitSeconds = (exit.CapturedAt - entry.CapturedAt).TotalSeconds, Status = status,
        };
        Store.UpsertTransits([Closed(bothIn, bothOut, "exact"), Closed(missedIn, missedOut, "fuzzy"), Closed(flaggedIn, plainOut, "exact")]);

        Assert.Equal(2, Store.HazmatOnlyAtExit(T0, T0.AddHours(1)));
        Assert.Equal(3, Store.HazmatOnlyAtExit(T0, T0.AddHours(3)));
        Assert.Equal(0, Store.HazmatOnlyAtExit(T0, T0.AddMinutes(3)));
    }

    [Fact]
    public void Transit_durations_are_those_of_transits_matched_by_plate_at_both_portals_and_the_others_are_counted_by_why_they_were_left_out()
    {
        TransitRecord Ended(string status, double? seconds, int minute = 0) =>
            Transit(Guid.NewGuid(), "浙A1", T0.AddMinutes(minute)) with { ExitedAt = T0.AddMinutes(minute).AddSeconds(seconds ?? 0), TransitSeconds = seconds, Status = status };
        Store.UpsertTransits(
        [
            Ended("exact", 170), Ended("fuzzy", 185, minute: 1),
            // The matcher's guess of which unmatched exit was the vehicle's: maybe another vehicle's time.
            Ended("inferred", 200.5, minute: 2),
            Ended("exact" + TransitRecord.OverdueMark, 1_900, minute: 3), Ended("given-up" + TransitRecord.OverdueMark, null, minute: 4),
            Ended("given-up", null, minute: 5),
            Ended("exact", 150, minute: 180), // after the period
        ]);

        var durations = Store.TransitDurationsBy([T0, T0.AddHours(1)]);
        Assert.Equal([170d, 185], durations.Groups.SelectMany(g => g.Seconds).Order());
        Assert.Equal(new TransitsLeftOut(GuessedExit: 1, Overdue: 2, NeverSeenLeaving: 1), durations.LeftOut);
    }

    [Fact]
    public void Overdue_incidents_tell_when_a_person_first_acknowledged_not_when_someone_added_a_note()
    {
        var acked = Guid.NewGuid();
        var open = Guid.NewGuid();
        Store.AddAlarmTransitions(
        [
            Alarm(acked, AlarmState.ActiveUnacknowledged, T0),
            Alarm(acked, AlarmState.ActiveUnacknowledged, T0.AddSeconds(20), by: "op2", note: "looking"),
            Alarm(acked, AlarmState.ActiveAcknowledged, T0.AddSeconds(45), by: "op"),
            Alarm(acked, AlarmState.ActiveAcknowledged, T0.AddSeconds(90), by: "op3", note: "tow truck") with { PlateColor = PlateColor.Yellow },
            Alarm(open, AlarmState.ActiveUnacknowledged, T0.AddMinutes(5), plate: null),
            Alarm(Guid.NewGuid(), AlarmState.ActiveUnacknowledged, T0.AddHours(2)),
        ]);
        var incidents = Store.OverdueIncidents(T0, T0.AddHours(1));
        Assert.Equal([acked, open], incidents.Select(i => i.AlarmId));
        Assert.Equal((T0.AddSeconds(45), "op", "active-acknowledged", "浙A12345"), (incidents[0].AcknowledgedAt!.Value, incidents[0].AcknowledgedBy, incidents[0].State, incidents[0].Plate));
        Assert.Equal(T0, incidents[0].RaisedAt);
        Assert.Null(incidents[1].AcknowledgedAt);
        Assert.Null(incidents[1].Plate);
        // The colour as the latest transition gives it.
        Assert.Equal(("yellow", (string?)null), (incidents[0].PlateColor, incidents[1].PlateColor));
    }

    [Fact]
    public void Incidents_carry_the_last_verdict_and_whether_a_late_passage_retracted_the_alarm()
    {
        var (judgedTwice, retracted, unjudged) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        Store.AddAlarmTransitions(
        [
            Alarm(judgedTwice, AlarmState.ActiveUnacknowledged, T0),
            Alarm(retracted, AlarmState.ActiveUnacknowledged, T0.AddMinutes(1)),
            Alarm(retracted, AlarmState.ClearedUnacknowledged, T0.AddMinutes(2)).WithReason(AlarmReason.Retracted(T0.AddSeconds(50))),
            Alarm(unjudged, AlarmState.ActiveUnacknowledged, T0.AddMinutes(3)).WithReason(AlarmReason.Left(T0.AddMinutes(3), 1)),
        ]);
        Store.AddAlarmVerdict(judgedTwice, "op", TunnelStore.FalseAlarm, null, T0.AddMinutes(4));
        Store.AddAlarmVerdict(judgedTwice, "op2", TunnelStore.Confirmed, "broken down, towed", T0.AddMinutes(9));

        Assert.Equal([("op", "false", (string?)null), ("op2", "confirmed", "broken down, towed")],
            Store.AlarmVerdicts(judgedTwice).Select(v => (v.Actor, v.Verdict, v.Note)));
        var incidents = Store.OverdueIncidents(T0, T0.AddHours(1));
        Assert.Equal([(judgedTwice, "confirmed", false), (retracted, (string?)null, true), (unjudged, null, false)],
            incidents.Select(i => (i.AlarmId, i.Verdict, i.Retracted)));
    }

    [Fact]
    public void Unlocking_a_user_lifts_the_lock_and_forgets_the_failures()
    {
        Store.AddUser(new UserRecord { UserName = "op", PasswordHash = "h", Roles = ["operator"] }, T0);
        Store.RecordFailedLogin("op", 2, T0.AddMinutes(15), T0);
        Store.RecordFailedLogin("op", 2, T0.AddMinutes(15), T0);
        Assert.Equal(T0.AddMinutes(15), Store.GetUser("op")!.LockedUntil);
        Assert.True(Store.UnlockUser("OP", T0.AddMinutes(1)));
        Assert.Equal((0, (DateTimeOffset?)null), (Store.GetUser("op")!.FailedLogins, Store.GetUser("op")!.LockedUntil));
        Assert.False(Store.UnlockUser("nobody", T0));
    }

    [Fact]
    public void Failed_logins_from_one_address_lock_that_address_out_and_leave_the_user_and_other_addresses_alone()
    {
        Store.AddUser(new UserRecord { UserName = "op", PasswordHash = "h", Roles = ["operator"] }, T0);
        Store.RecordFailedLoginFrom("op", "10.0.0.9", 2, T0.AddMinutes(15), T0.AddDays(-1), T0);
        Assert.Equal(new AddressFailures("op", "10.0.0.9", 1, null), Store.GetFailedLoginsFrom("OP", "10.0.0.9"));
        var locked = Store.RecordFailedLoginFrom("op", "10.0.0.9", 2, T0.AddMinutes(15), T0.AddDays(-1), T0.AddSeconds(1));
        Assert.Equal(new AddressFailures("op", "10.0.0.9", 0, T0.AddMinutes(15)), locked);

        Assert.Null(Store.GetFailedLoginsFrom("op", "10.0.0.1"));
        Assert.Equal((0, (DateTimeOffset?)null), (Store.GetUser("op")!.FailedLogins, Store.GetUser("op")!.LockedUntil));
        Assert.Equal([locked!], Store.ListAddressLockouts(T0.AddMinutes(1)));
        Assert.Empty(Store.ListAddressLockouts(T0.AddMinutes(15)));

        // A good login from elsewhere leaves the locked address locked; one from that address (after its lock) forgets it.
        Store.RecordSuccessfulLogin("op", "10.0.0.1", T0.AddMinutes(2));
        Assert.Equal(locked, Store.GetFailedLoginsFrom("op", "10.0.0.9"));
        Store.RecordSuccessfulLogin("op", "10.0.0.9", T0.AddMinutes(16));
        Assert.Null(Store.GetFailedLoginsFrom("op", "10.0.0.9"));
    }

    [Fact]
    public void Failures_from_an_address_are_forgotten_when_old_and_a_new_password_or_an_unlock_forgets_every_address()
    {
        Store.AddUser(new UserRecord { UserName = "op", PasswordHash = "h", Roles = ["operator"] }, T0);
        Store.RecordFailedLoginFrom("op", "10.0.0.1", 5, T0.AddMinutes(15), T0.AddDays(-1), T0);
        Store.RecordFailedLoginFrom("op", "10.0.0.2", 5, T0.AddDays(2).AddMinutes(15), T0.AddDays(1), T0.AddDays(2));
        Assert.Null(Store.GetFailedLoginsFrom("op", "10.0.0.1"));
        Assert.NotNull(Store.GetFailedLoginsFrom("op", "10.0.0.2"));

        Store.RecordFailedLoginFrom("op", "10.0.0.3", 1, T0.AddDays(2).AddMinutes(15), T0.AddDays(1), T0.AddDays(2));
        Assert.True(Store.SetPasswordHash("op", "h2", T0.AddDays(2)));
        Assert.Empty(Store.ListAddressLockouts(T0.AddDays(2)));
        Assert.Null(Store.GetFailedLoginsFrom("op", "10.0.0.2"));

        Store.RecordFailedLoginFrom("op", "10.0.0.3", 1, T0.AddDays(2).AddMinutes(15), T0.AddDays(1), T0.AddDays(2));
        Assert.True(Store.UnlockUser("op", T0.AddDays(2)));
        Assert.Null(Store.GetFailedLoginsFrom("op", "10.0.0.3"));
    }

    [Fact]
    public void Passage_counts_split_an_hour_where_a_local_day_begins_inside_it()
    {
        // A day in India begins at 18:30 UTC: the part of the hour on each side is counted from the passages.
        var boundary = T0.AddMinutes(30);
        Store.AddPassages(Received(
            Passage("a1", 1, "浙A00001", T0.AddMinutes(29)), Passage("a1", 2, null, boundary.AddMilliseconds(-1), hazmat: true),
            Passage("a1", 3, "浙A00003", boundary), Passage("b1", 1, "浙A00004", T0.AddMinutes(40), Portal.Exit, bore: "south"),
            Passage("a1", 4, "浙A00005", T0.AddHours(1))));

        Assert.Equal(
        [
            (T0, "north", "entry", "car", false, 1L), (T0, "north", "entry", "truck", true, 1L),
        ], Store.PassageCounts(T0, boundary).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
        Assert.Equal(
        [
            (boundary, "north", "entry", "car", false, 1L), (boundary, "south", "exit", "car", false, 1L),
        ], Store.PassageCounts(boundary, T0.AddHours(1)).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
        Assert.Empty(Store.PassageCounts(T0.AddHours(2), T0.AddHours(3)));
    }

    [Fact]
    public void Transit_durations_are_grouped_by_the_period_they_entered_in_bore_and_class_shortest_first()
    {
        TransitRecord Ended(DateTimeOffset entered, double seconds, string bore = "north", VehicleClass cls = VehicleClass.Car) =>
            Transit(Guid.NewGuid(), null, entered) with { Bore = bore, VehicleClass = cls, ExitedAt = entered.AddSeconds(seconds), TransitSeconds = seconds, Status = "exact" };
        Store.UpsertTransits(
        [
            Ended(T0.AddMinutes(-1), 999), // before the first period
            Ended(T0, 200), Ended(T0.AddMinutes(10), 170), Ended(T0.AddMinutes(20), 185, cls: VehicleClass.Truck),
            Ended(T0.AddMinutes(30), 150, bore: "south"),
            Transit(Guid.NewGuid(), "浙A1", T0.AddMinutes(40)), // still inside: no duration
            Ended(T0.AddHours(1), 160), Ended(T0.AddHours(2), 999), // the second period; after the last one
        ]);

        var groups = Store.TransitDurationsBy([T0, T0.AddHours(1), T0.AddHours(2)]).Groups
            .OrderBy(g => (g.Period, g.Bore, g.VehicleClass)).Select(g => (g.Period, g.Bore, g.VehicleClass, string.Join(' ', g.Seconds)));
        Assert.Equal(
        [
            (0, "north", "car", "170 200"), (0, "north", "truck", "185"), (0, "south", "car", "150"), (1, "north", "car", "160"),
        ], groups);
        Assert.Empty(Store.TransitDurationsBy([T0]).Groups);
    }
}

public sealed class SqliteConsoleStoreTests : ConsoleStoreContract
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tunnel-sqlite-console-");

    public SqliteConsoleStoreTests() => Options = StoreOptions.SqliteInDataDirectory(Path.Combine(_directory.FullName, "data"));

    protected override StoreOptions Options { get; }

    public override void Dispose()
    {
        base.Dispose();
        _directory.Delete(recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresConsoleStoreTests : ConsoleStoreContract
{
    private readonly PostgresServer _server;
    private readonly string _schema = "c_" + Guid.NewGuid().ToString("N");

    public PostgresConsoleStoreTests(PostgresServer server)
    {
        _server = server;
        Options = StoreOptions.Postgres(server.CreateSchema(_schema));
    }

    protected override StoreOptions Options { get; }

    public override void Dispose()
    {
        base.Dispose();
        _server.DropSchema(_schema);
    }
}
