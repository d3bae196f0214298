using System.Data.Common;
using Tunnel.Core.Plates;

namespace Tunnel.Storage.Internal;

/// <summary>
/// Ordered migrations, recorded in schema_version. Append new ones; never edit a released one.
/// The DDL is shared; <see cref="Dialect.Ddl"/> fills in the type names.
/// </summary>
internal static class Schema
{
    /// <summary>
    /// One schema version: its DDL, and, for the rare one that must change rows in a way SQL cannot say alike on SQLite and
    /// PostgreSQL, code run after the DDL in the same transaction, so the version is recorded only with its rows changed.
    /// </summary>
    private sealed record Migration(int Version, string Ddl, Action<Dialect, DbConnection, DbTransaction>? Code = null)
    {
        public static implicit operator Migration((int Version, string Ddl) ddlOnly) => new(ddlOnly.Version, ddlOnly.Ddl);
    }

    private static readonly Migration[] Migrations =
    [
        (1, """
            CREATE TABLE passages (
                id {id},
                event_id {uuid} NOT NULL UNIQUE,
                agent_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                site TEXT NOT NULL,
                bore TEXT NOT NULL,
                portal TEXT NOT NULL,
                lane INTEGER NOT NULL,
                captured_at {time} NOT NULL,
                received_at {time} NOT NULL,
                plate_text TEXT NULL,
                plate_color TEXT NULL,
                vehicle_class TEXT NOT NULL,
                hazmat {bool} NOT NULL,
                json TEXT NOT NULL
            );
            CREATE INDEX ix_passages_captured_at ON passages (captured_at);
            CREATE INDEX ix_passages_bore_captured_at ON passages (site, bore, captured_at);
            CREATE INDEX ix_passages_plate ON passages (plate_text);

            CREATE TABLE agent_seq_ranges (
                agent_id TEXT NOT NULL,
                lo BIGINT NOT NULL,
                hi BIGINT NOT NULL,
                PRIMARY KEY (agent_id, lo)
            );

            CREATE TABLE transits (
                entry_event_id {uuid} PRIMARY KEY,
                site TEXT NOT NULL,
                bore TEXT NOT NULL,
                lane INTEGER NOT NULL,
                plate_text TEXT NULL,
                plate_color TEXT NULL,
                vehicle_class TEXT NULL,
                hazmat {bool} NOT NULL,
                entered_at {time} NOT NULL,
                exit_event_id {uuid} NULL,
                exited_at {time} NULL,
                transit_seconds {real} NULL,
                status TEXT NOT NULL
            );
            CREATE INDEX ix_transits_bore_entered_at ON transits (site, bore, entered_at);
            CREATE INDEX ix_transits_entered_at ON transits (entered_at);
            CREATE INDEX ix_transits_plate ON transits (plate_text);

            CREATE TABLE alarm_transitions (
                id {id},
                alarm_id {uuid} NOT NULL,
                at {time} NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                priority TEXT NOT NULL,
                site TEXT NOT NULL,
                bore TEXT NOT NULL,
                plate_text TEXT NULL,
                actor TEXT NULL,
                note TEXT NULL,
                json TEXT NOT NULL
            );
            CREATE INDEX ix_alarm_transitions_alarm ON alarm_transitions (alarm_id, at);
            CREATE INDEX ix_alarm_transitions_at ON alarm_transitions (at);

            CREATE TABLE alarms_current (
                alarm_id {uuid} PRIMARY KEY,
                at {time} NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                priority TEXT NOT NULL,
                site TEXT NOT NULL,
                bore TEXT NOT NULL,
                plate_text TEXT NULL,
                json TEXT NOT NULL
            );
            CREATE INDEX ix_alarms_current_state ON alarms_current (state);

            CREATE TABLE audit_log (
                id {id},
                at {time} NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NULL
            );
            CREATE INDEX ix_audit_log_at ON audit_log (at);
            CREATE INDEX ix_audit_log_subject ON audit_log (subject);

            CREATE TABLE dead_letters (
                id {id},
                received_at {time} NOT NULL,
                topic TEXT NOT NULL,
                agent_id TEXT NULL,
                reason_code TEXT NOT NULL,
                reason TEXT NOT NULL,
                payload {bytes} NULL,
                original_length INTEGER NOT NULL
            );
            CREATE INDEX ix_dead_letters_reason ON dead_letters (reason_code);
            CREATE INDEX ix_dead_letters_received_at ON dead_letters (received_at);

            CREATE TABLE config_documents (
                config_key TEXT PRIMARY KEY,
                json TEXT NOT NULL,
                updated_at {time} NOT NULL
            );
            """),
        // Console logins. Roles and claims are comma-separated names (few, and read whole);
        // failed_logins and locked_until carry the lock-out across restarts.
        (2, """
            CREATE TABLE users (
                user_name TEXT PRIMARY KEY,
                display_name TEXT NULL,
                password_hash TEXT NOT NULL,
                roles TEXT NOT NULL,
                claims TEXT NOT NULL,
                failed_logins INTEGER NOT NULL,
                locked_until {time} NULL,
                disabled {bool} NOT NULL,
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL
            );
            """),
        // The driver contact directory (plate -> who to call) and each attempt made from an alarm.
        // Attempts name the alarm, not the plate, so the plate retention need not reach them.
        // The two indexes serve a vehicle's history (alarms by plate) and the share of unmatched exits.
        (3, """
            CREATE TABLE contacts (
                plate_text TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                phone TEXT NOT NULL,
                company TEXT NULL,
                note TEXT NULL,
                updated_by TEXT NOT NULL,
                updated_at {time} NOT NULL
            );

            CREATE TABLE contact_attempts (
                id {id},
                alarm_id {uuid} NOT NULL,
                at {time} NOT NULL,
                actor TEXT NOT NULL,
                outcome TEXT NOT NULL,
                note TEXT NULL
            );
            CREATE INDEX ix_contact_attempts_alarm ON contact_attempts (alarm_id, at);
            CREATE INDEX ix_alarms_current_plate ON alarms_current (plate_text);
            CREATE INDEX ix_transits_exit_event ON transits (exit_event_id);
            """),
        // Operators' verdicts on alarms: a vehicle was really in trouble, or nothing was. They count the
        // false alarms; a later verdict on the same alarm replaces an earlier one, and all are kept.
        // Passages counted per UTC hour as they are stored (and, once, those stored before): volume
        // reports read these instead of grouping every passage of the period (about 2 µs each on SQLite).
        (4, """
            CREATE TABLE alarm_verdicts (
                id {id},
                alarm_id {uuid} NOT NULL,
                at {time} NOT NULL,
                actor TEXT NOT NULL,
                verdict TEXT NOT NULL,
                note TEXT NULL
            );
            CREATE INDEX ix_alarm_verdicts_alarm ON alarm_verdicts (alarm_id, at);

            CREATE TABLE hourly_counts (
                hour_start {time} NOT NULL,
                site TEXT NOT NULL,
                bore TEXT NOT NULL,
                portal TEXT NOT NULL,
                vehicle_class TEXT NOT NULL,
                hazmat {bool} NOT NULL,
                passages BIGINT NOT NULL,
                PRIMARY KEY (hour_start, site, bore, portal, vehicle_class, hazmat)
            );
            INSERT INTO hourly_counts (hour_start, site, bore, portal, vehicle_class, hazmat, passages)
                SELECT {hour_of_captured_at}, site, bore, portal, vehicle_class, hazmat, COUNT(*) FROM passages
                GROUP BY {hour_of_captured_at}, site, bore, portal, vehicle_class, hazmat;
            """),
        // Alarm transitions the MQTT broker has not yet accepted: sent again, in order, after a restart, so another
        // system listening to the alarms misses none when the service dies between storing one and publishing it.
        // Rows stored before this version count as sent.
        (5, """
            ALTER TABLE alarm_transitions ADD COLUMN published {bool} NOT NULL DEFAULT {true};
            CREATE INDEX ix_alarm_transitions_unpublished ON alarm_transitions (id) WHERE published = {false};
            """),
        // Failed logins per user and client address, so that guessing from one address locks that address out of the
        // name and not the user everywhere; users.failed_logins and locked_until count every address together from now on.
        (6, """
            CREATE TABLE login_failures (
                user_name TEXT NOT NULL,
                address TEXT NOT NULL,
                failed_logins INTEGER NOT NULL,
                locked_until {time} NULL,
                updated_at {time} NOT NULL,
                PRIMARY KEY (user_name, address)
            );
            CREATE INDEX ix_login_failures_updated_at ON login_failures (updated_at);
            """),
        // The rows the plate retention has yet to blank, by time: blanked rows leave these indexes, so the hourly purge
        // reads what it changes, not again every row it blanked in the months before (a year of them took it minutes,
        // each chunk holding the writer).
        (7, """
            CREATE INDEX ix_passages_plate_kept ON passages (captured_at) WHERE plate_text <> '';
            CREATE INDEX ix_transits_plate_kept ON transits (entered_at) WHERE plate_text <> '';
            CREATE INDEX ix_dead_letters_payload_kept ON dead_letters (received_at) WHERE payload IS NOT NULL;
            """),
        // Contacts saved before the store keyed them by PlateKey were kept as typed ("浙c 9h·907"), and an alarm's lookup
        // (浙C9H907) never found them: their plates are keyed now. Only contacts: attempts name the alarm, not the plate,
        // and the audit log keeps what it recorded at the time.
        new(8, "", KeyContactsByPlateKey),
        // The few exit passages and transits flagged hazmat: the managers' hazmat vehicles count the exits flagged hazmat that
        // no flagged entry accounts for (TunnelStore.HazmatOnlyAtExit) from these, not from every passage of the period
        // (a month of full traffic, 2.8 million passages: 4-6 s on SQLite, and a year's monthly report a minute).
        (9, """
            CREATE INDEX ix_passages_hazmat_exit ON passages (captured_at, event_id) WHERE hazmat = {true} AND portal = 'exit';
            CREATE INDEX ix_transits_hazmat_exit ON transits (exit_event_id) WHERE hazmat = {true};
            """),
        // PlateKey now folds what it kept before (zero-width spaces, other dashes and dots, accents, compatibility forms of the
        // province characters): a contact keyed by the old rule would be listed under a key its own delete no longer finds.
        new(10, "", KeyContactsByPlateKey),
        // Console sessions ended by logging out: the cookie alone says nothing of a logout, so a copy of it (a shared
        // machine, a proxy's log) stayed good for hours. Kept until the cookie could have expired, then forgotten.
        (11, """
            CREATE TABLE ended_sessions (
                session_id TEXT PRIMARY KEY,
                expires_at {time} NOT NULL
            );
            """),
        // Vehicles an operator saw leave (or found gone) where no camera did: a restart rebuilds the vehicles inside from the
        // stored passages, which would put such a vehicle back inside for hours. No plate here: the entry event names it.
        (12, """
            CREATE TABLE vehicles_seen_leaving (
                entry_event_id {uuid} PRIMARY KEY,
                site TEXT NOT NULL,
                bore TEXT NOT NULL,
                alarm_id {uuid} NOT NULL,
                at {time} NOT NULL,
                actor TEXT NOT NULL
            );
            CREATE INDEX ix_vehicles_seen_leaving_at ON vehicles_seen_leaving (at);
            """),
    ];

    /// <summary>
    /// Re-keys every contact by <see cref="PlateKey.Of"/>. Should PlateKey ever fold more, a new migration runs this
    /// again; this one stays as released.
    /// </summary>
    private static void KeyContactsByPlateKey(Dialect dialect, DbConnection connection, DbTransaction transaction)
    {
        var contacts = new List<(string Plate, DateTimeOffset UpdatedAt)>();
        using (var command = dialect.Command(connection, transaction, "SELECT plate_text, updated_at FROM contacts"))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) contacts.Add((reader.GetString(0), dialect.ReadTime(reader, 1)));

        // A plate of separators alone has no key to move to; it stays as it was.
        foreach (var vehicle in contacts.GroupBy(c => PlateKey.Of(c.Plate)).Where(g => g.Key.Length > 0))
        {
            // One vehicle entered twice, as typed and as read: the entry updated latest is the one someone last
            // confirmed, so it is kept and the others are deleted; on a tie, the one already keyed.
            var kept = vehicle.OrderByDescending(c => c.UpdatedAt).ThenByDescending(c => c.Plate == vehicle.Key)
                .ThenBy(c => c.Plate, StringComparer.Ordinal).First();
            foreach (var (plate, _) in vehicle.Where(c => c.Plate != kept.Plate))
                dialect.Execute(connection, transaction, "DELETE FROM contacts WHERE plate_text = @plate", ("@plate", Col.Text, plate));
            if (kept.Plate != vehicle.Key)
                dialect.Execute(connection, transaction, "UPDATE contacts SET plate_text = @key WHERE plate_text = @plate",
                    ("@key", Col.Text, vehicle.Key), ("@plate", Col.Text, kept.Plate));
        }
    }

    public static int LatestVersion => Migrations[^1].Version;

    public static void Migrate(Dialect dialect, DbConnection connection, DateTimeOffset now)
    {
        dialect.Execute(connection, null, dialect.Ddl("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at {time} NOT NULL)"));
        using var transaction = connection.BeginTransaction();
        var current = CurrentVersion(dialect, connection, transaction);
        if (current > LatestVersion)
            throw new InvalidOperationException($"the database has schema version {current}, newer than this build knows ({LatestVersion}): upgrade the program");
        foreach (var (version, ddl, code) in Migrations.Where(m => m.Version > current))
        {
            if (ddl.Length > 0) dialect.Execute(connection, transaction, dialect.Ddl(ddl));
            code?.Invoke(dialect, connection, transaction);
            dialect.Execute(connection, transaction, "INSERT INTO schema_version (version, applied_at) VALUES (@v, @at)",
                ("@v", Col.Int, version), ("@at", Col.Time, now));
        }
        transaction.Commit();
    }

    public static int CurrentVersion(Dialect dialect, DbConnection connection, DbTransaction? transaction)
    {
        using var command = dialect.Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return Convert.ToInt32(command.ExecuteScalar());
    }
}
