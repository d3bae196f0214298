using Microsoft.Data.Sqlite;
using Tunnel.Core.Contracts;

namespace Tunnel.Agent.Outbox;

/// <summary>One passage waiting in the outbox, as it goes on the wire.</summary>
public sealed record OutboxEntry(long Seq, Guid EventId, byte[] Payload, byte[]? Snapshot);

/// <summary>What <see cref="PassageOutbox.ContinueAfter"/> did: <see cref="Passages"/> waiting passages, <see cref="From"/>..<see cref="To"/>, are now <see cref="NewFrom"/>..<see cref="NewTo"/>.</summary>
public sealed record Renumbering(int Passages, long From, long To, long NewFrom, long NewTo);

/// <summary>
/// The agent's durable outbox (a SQLite file): every passage is written here, with its sequence
/// number, before anything is sent, and leaves only when the central service confirms it stored
/// everything up to that number. So a broker or network outage, or a restart of the agent, loses
/// nothing; the sequence counter lives in the same file, so numbers continue after a restart.
/// Snapshots are kept beside their passage but give way first when the disk budget runs out: a
/// lost picture is a pity, a lost passage is a vehicle nobody knows is inside.
/// </summary>
public sealed class PassageOutbox : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private readonly long _snapshotBudgetBytes;
    private long _lastSeq;
    private long _confirmedThrough;
    private int _depth;
    private long _snapshotBytes;
    private bool _numberingKnown;

    private PassageOutbox(SqliteConnection db, long snapshotBudgetBytes)
    {
        _db = db;
        _snapshotBudgetBytes = snapshotBudgetBytes;
    }

    public string Path { get; private init; } = "";
    public long LastSeq { get { lock (_gate) return _lastSeq; } }
    /// <summary>The central service has stored every passage up to and including this one.</summary>
    public long ConfirmedThrough { get { lock (_gate) return _confirmedThrough; } }
    /// <summary>Passages not yet confirmed.</summary>
    public int Depth { get { lock (_gate) return _depth; } }
    /// <summary>What the agent's clock was last found off the central service's by (see <see cref="Link.ServiceClock"/>), or null.</summary>
    public TimeSpan? ClockOffset { get { lock (_gate) return _clockOffset; } }
    private TimeSpan? _clockOffset;

    public void RememberClockOffset(TimeSpan offset)
    {
        lock (_gate)
        {
            Execute(_db, "INSERT INTO counters VALUES ('clock_offset_ms', @ms) ON CONFLICT (name) DO UPDATE SET value = @ms", null,
                ("@ms", (long)Math.Round(offset.TotalMilliseconds)));
            _clockOffset = offset;
        }
    }

    /// <summary>Opens (or creates) the outbox of <paramref name="agentId"/> in <paramref name="directory"/>.</summary>
    /// <param name="busyTimeout">How long a write waits for another writer's lock before it fails (whole seconds, 30 by default).</param>
    public static PassageOutbox Open(string directory, string agentId, long snapshotBudgetBytes = 512L * 1024 * 1024, TimeSpan? busyTimeout = null)
    {
        CreateOwnDirectory(directory);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, $"outbox-{agentId}.db"));
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path, Pooling = false, DefaultTimeout = (int)Math.Max(1, Math.Ceiling((busyTimeout ?? TimeSpan.FromSeconds(30)).TotalSeconds)),
        }.ToString());
        db.Open();
        var fresh = Scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'counters'") == 0;
        // FULL: a passage counts as captured only once it survives a power cut.
        Execute(db, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS outbox (
                seq INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL,
                payload BLOB NOT NULL,
                snapshot BLOB NULL);
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT OR IGNORE INTO counters VALUES ('last_seq', 0), ('confirmed_through', 0);
            """);
        // A file made now numbers from 1 whatever the central service holds of this agent; one that an older build made
        // has been talking to the service all along.
        Execute(db, "INSERT OR IGNORE INTO counters VALUES ('numbering_known', @known)", null, ("@known", fresh ? 0L : 1L));
        var outbox = new PassageOutbox(db, snapshotBudgetBytes) { Path = path };
        outbox._lastSeq = Scalar(db, "SELECT value FROM counters WHERE name = 'last_seq'");
        outbox._confirmedThrough = Scalar(db, "SELECT value FROM counters WHERE name = 'confirmed_through'");
        outbox._numberingKnown = Scalar(db, "SELECT value FROM counters WHERE name = 'numbering_known'") != 0;
        outbox._depth = (int)Scalar(db, "SELECT COUNT(*) FROM outbox");
        outbox._snapshotBytes = Scalar(db, "SELECT COALESCE(SUM(LENGTH(snapshot)), 0) FROM outbox");
        if (Scalar(db, "SELECT COUNT(*) FROM counters WHERE name = 'clock_offset_ms'") > 0)
            outbox._clockOffset = TimeSpan.FromMilliseconds(Scalar(db, "SELECT value FROM counters WHERE name = 'clock_offset_ms'"));
        return outbox;
    }

    /// <summary>
    /// Creates the agent's data directory, or narrows one left open to others: its plates and snapshots (the outbox, the camera
    /// check's pictures) are personal data, readable by the agent's user only, as the central service's data directory is.
    /// </summary>
    internal static void CreateOwnDirectory(string directory)
    {
        var created = Directory.CreateDirectory(directory);
        if (OperatingSystem.IsWindows()) return;
        try { created.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute; }
        // Not ours to change (a directory another user lent us): the outbox works in it all the same.
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Gives the passage its event id and the next sequence number and keeps it, durably, before
    /// returning it: from here on it will reach the central service.
    /// </summary>
    public Passage Add(Passage draft, byte[]? snapshot)
    {
        lock (_gate)
        {
            var seq = _lastSeq + 1;
            var eventId = Guid.CreateVersion7(draft.CapturedAt);
            var passage = draft with
            {
                EventId = eventId, Seq = seq,
                Snapshot = snapshot is null ? draft.Snapshot : Topics.SnapshotReference(eventId),
            };
            using var tx = _db.BeginTransaction();
            Execute(_db, "INSERT INTO outbox (seq, event_id, payload, snapshot) VALUES (@seq, @id, @payload, @snapshot)", tx,
                ("@seq", seq), ("@id", eventId.ToString("D")), ("@payload", System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage))),
                ("@snapshot", (object?)snapshot ?? DBNull.Value));
            Execute(_db, "UPDATE counters SET value = @seq WHERE name = 'last_seq'", tx, ("@seq", seq));
            var bytes = _snapshotBytes + (snapshot?.Length ?? 0);
            if (snapshot is not null) bytes = KeepSnapshotsWithinBudget(bytes, tx);
            tx.Commit();
            _snapshotBytes = bytes;
            _lastSeq = seq;
            _depth++;
            return passage;
        }
    }

    /// <summary>Up to <paramref name="limit"/> unconfirmed passages with a sequence number of at least <paramref name="fromSeq"/>, in order.</summary>
    public IReadOnlyList<OutboxEntry> Read(long fromSeq, int limit)
    {
        lock (_gate)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT seq, event_id, payload, snapshot FROM outbox WHERE seq >= @from ORDER BY seq LIMIT @limit";
            command.Parameters.AddWithValue("@from", fromSeq);
            command.Parameters.AddWithValue("@limit", limit);
            using var reader = command.ExecuteReader();
            var entries = new List<OutboxEntry>();
            while (reader.Read())
                entries.Add(new OutboxEntry(reader.GetInt64(0), Guid.Parse(reader.GetString(1)), (byte[])reader[2],
                    reader.IsDBNull(3) ? null : (byte[])reader[3]));
            return entries;
        }
    }

    /// <summary>The central service stored everything up to <paramref name="seq"/>: those leave the outbox.</summary>
    public void Confirm(long seq)
    {
        lock (_gate)
        {
            // An ack can name a number this outbox never issued (a previous installation under the same
            // agent id); confirming beyond our own counter would drop passages not yet captured.
            seq = Math.Min(seq, _lastSeq);
            if (seq <= _confirmedThrough) return;
            using var tx = _db.BeginTransaction();
            // Only the confirmed rows are read (a range of the primary key), never the whole outbox.
            var bytes = Scalar(_db, "SELECT COALESCE(SUM(LENGTH(snapshot)), 0) FROM outbox WHERE seq <= @seq", tx, ("@seq", seq));
            var rows = Execute(_db, "DELETE FROM outbox WHERE seq <= @seq", tx, ("@seq", seq));
            Execute(_db, "UPDATE counters SET value = @seq WHERE name = 'confirmed_through'", tx, ("@seq", seq));
            if (_numberingKnown) Execute(_db, NumberingKnownSql, tx);
            tx.Commit();
            _confirmedThrough = seq;
            _depth -= rows;
            _snapshotBytes -= bytes;
        }
    }

    /// <summary>
    /// Whether the central service's acknowledgements are known to count this file's numbers: false for a new file
    /// until <see cref="MarkNumberingKnown"/> or <see cref="ContinueAfter"/>, since the service may hold passages of
    /// this agent from an earlier file (lost with its disk, deleted, replaced) under the same numbers.
    /// </summary>
    public bool NumberingKnown { get { lock (_gate) return _numberingKnown; } }

    /// <summary>
    /// The service's first acknowledgement this file met (retained, or its reply to the agent's status, before any passage
    /// went out) holds nothing of this agent that these numbers could be mistaken for: its acknowledgements from now on
    /// count this file's passages. Written to the file now if it can be, else with the next confirmation: an agent that
    /// stops before either takes the service's next acknowledgement for an earlier file's and renumbers what waits, which
    /// costs a re-send, not a passage.
    /// </summary>
    public void MarkNumberingKnown()
    {
        lock (_gate)
        {
            if (_numberingKnown) return;
            _numberingKnown = true;
            try { Execute(_db, NumberingKnownSql, null); }
            catch (SqliteException) { }
        }
    }

    private const string NumberingKnownSql = "UPDATE counters SET value = 1 WHERE name = 'numbering_known' AND value = 0";

    /// <summary>
    /// Continues numbering after <paramref name="seq"/> when the central service's number belongs to an earlier
    /// outbox file of this agent (lost or replaced): it is beyond anything this file numbered, or it came before
    /// this file's numbering was known (<see cref="NumberingKnown"/>), however far this file has counted by then.
    /// Confirming with it would delete the passages waiting here, which the service never stored under these numbers;
    /// so they are numbered after it instead (their payloads too, in one transaction), keeping their event ids, by
    /// which the service knows one it already has. They go after <paramref name="highest"/>, the highest number the
    /// service holds, where the earlier file left a gap below it: a new passage under a number the service has stored
    /// already would let a later acknowledgement cover it unsent. Null when <paramref name="seq"/> is this file's to confirm.
    /// </summary>
    public Renumbering? ContinueAfter(long seq, long? highest = null)
    {
        lock (_gate)
        {
            if (_numberingKnown && seq <= _lastSeq) return null;
            var after = Math.Max(seq, highest ?? seq);
            if (after <= _confirmedThrough)
            {
                // The service holds nothing of this agent: this file's numbers are its.
                MarkNumberingKnown();
                return null;
            }
            // The waiting passages are exactly those after the confirmed one, so they stay consecutive.
            var shift = after - _confirmedThrough;
            using var tx = _db.BeginTransaction();
            // Page by page from the highest down: a long outage's outbox is never held in memory whole, and each row moves
            // above every row still to move, so none collides with another or is read twice.
            for (var to = _lastSeq; to > _confirmedThrough;)
            {
                var page = Payloads(_confirmedThrough + 1, to, tx);
                if (page.Count == 0) break;
                foreach (var (old, payload) in page)
                {
                    var passage = TunnelJson.Deserialize<Passage>(System.Text.Encoding.UTF8.GetString(payload))
                        ?? throw new InvalidDataException($"passage {old} in the outbox is null");
                    Execute(_db, "UPDATE outbox SET seq = @new, payload = @payload WHERE seq = @old", tx, ("@new", old + shift),
                        ("@payload", System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(passage with { Seq = old + shift }))), ("@old", old));
                }
                to = page[^1].Seq - 1;
            }
            Execute(_db, "UPDATE counters SET value = @last WHERE name = 'last_seq'", tx, ("@last", _lastSeq + shift));
            Execute(_db, "UPDATE counters SET value = @seq WHERE name = 'confirmed_through'", tx, ("@seq", after));
            Execute(_db, NumberingKnownSql, tx);
            tx.Commit();
            var renumbering = new Renumbering(_depth, _confirmedThrough + 1, _lastSeq, after + 1, _lastSeq + shift);
            (_lastSeq, _confirmedThrough, _numberingKnown) = (_lastSeq + shift, after, true);
            return renumbering;
        }
    }

    private List<(long Seq, byte[] Payload)> Payloads(long fromSeq, long toSeq, SqliteTransaction tx)
    {
        using var command = _db.CreateCommand();
        command.CommandText = "SELECT seq, payload FROM outbox WHERE seq >= @from AND seq <= @to ORDER BY seq DESC LIMIT 500";
        command.Transaction = tx;
        command.Parameters.AddWithValue("@from", fromSeq);
        command.Parameters.AddWithValue("@to", toSeq);
        using var reader = command.ExecuteReader();
        var page = new List<(long, byte[])>();
        while (reader.Read()) page.Add((reader.GetInt64(0), (byte[])reader[1]));
        return page;
    }

    /// <summary>Drops the oldest snapshots until <paramref name="total"/> bytes fit the budget; returns what is left.</summary>
    private long KeepSnapshotsWithinBudget(long total, SqliteTransaction tx)
    {
        while (total > _snapshotBudgetBytes)
        {
            var oldest = Scalar(_db, "SELECT COALESCE(MIN(seq), 0) FROM outbox WHERE snapshot IS NOT NULL", tx);
            if (oldest == 0) break;
            total -= Scalar(_db, "SELECT LENGTH(snapshot) FROM outbox WHERE seq = @seq", tx, ("@seq", oldest));
            Execute(_db, "UPDATE outbox SET snapshot = NULL WHERE seq = @seq", tx, ("@seq", oldest));
        }
        return total;
    }

    private static int Execute(SqliteConnection db, string sql, SqliteTransaction? tx = null, params (string Name, object Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection db, string sql, SqliteTransaction? tx = null, params (string Name, object Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L);
    }

    public void Dispose()
    {
        lock (_gate) _db.Dispose();
    }
}
