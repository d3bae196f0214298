using System.Data.Common;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

/// <summary>
/// A console login. The store keeps the hash it is given and never sees a password; hashing and
/// the lock-out policy belong to the console.
/// </summary>
public sealed record UserRecord
{
    public required string UserName { get; init; }
    public string? DisplayName { get; init; }
    public required string PasswordHash { get; init; }
    public required IReadOnlyList<string> Roles { get; init; }
    /// <summary>Extra permissions beyond the roles, such as <c>plates</c> for a manager.</summary>
    public IReadOnlyList<string> Claims { get; init; } = [];
    /// <summary>Failed logins from every address together (each address's own are <see cref="AddressFailures"/>).</summary>
    public int FailedLogins { get; init; }
    /// <summary>Locked out from every address until then.</summary>
    public DateTimeOffset? LockedUntil { get; init; }
    public bool Disabled { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A user's failed logins from one client address, and the lock-out they earned there.</summary>
public sealed record AddressFailures(string UserName, string Address, int FailedLogins, DateTimeOffset? LockedUntil);

public sealed partial class TunnelStore
{
    private const string UserColumns =
        "user_name, display_name, password_hash, roles, claims, failed_logins, locked_until, disabled, created_at, updated_at";

    /// <summary>User names compare case-insensitively for people, so they are stored lower-case.</summary>
    public static string NormaliseUserName(string userName) => userName.Trim().ToLowerInvariant();

    public UserRecord? GetUser(string userName) =>
        Query($"SELECT {UserColumns} FROM users WHERE user_name = @name", ReadUser, ("@name", Col.Text, NormaliseUserName(userName))).FirstOrDefault();

    public IReadOnlyList<UserRecord> ListUsers() =>
        Query($"SELECT {UserColumns} FROM users ORDER BY user_name", ReadUser);

    public long CountUsers() =>
        Query("SELECT COUNT(*) FROM users", r => Convert.ToInt64(r.GetValue(0))).Single();

    /// <summary>Adds a user; returns false (and changes nothing) when the name is taken.</summary>
    public bool AddUser(UserRecord user, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Write((connection, transaction) => _dialect.Execute(connection, transaction,
            $"""
             INSERT INTO users ({UserColumns})
             VALUES (@name, @display, @hash, @roles, @claims, 0, NULL, @disabled, @at, @at)
             ON CONFLICT (user_name) DO NOTHING
             """,
            ("@name", Col.Text, NormaliseUserName(user.UserName)), ("@display", Col.Text, user.DisplayName),
            ("@hash", Col.Text, user.PasswordHash), ("@roles", Col.Text, Join(user.Roles)), ("@claims", Col.Text, Join(user.Claims)),
            ("@disabled", Col.Bool, user.Disabled), ("@at", Col.Time, at))) == 1;
    }

    /// <summary>Replaces roles, claims, display name and the disabled flag of an existing user.</summary>
    public bool UpdateUser(UserRecord user, DateTimeOffset at) =>
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            """
            UPDATE users SET display_name = @display, roles = @roles, claims = @claims, disabled = @disabled, updated_at = @at
            WHERE user_name = @name
            """,
            ("@name", Col.Text, NormaliseUserName(user.UserName)), ("@display", Col.Text, user.DisplayName),
            ("@roles", Col.Text, Join(user.Roles)), ("@claims", Col.Text, Join(user.Claims)), ("@disabled", Col.Bool, user.Disabled),
            ("@at", Col.Time, at))) == 1;

    /// <summary>Sets a new hash and lifts any lock-out, from every address and from each.</summary>
    public bool SetPasswordHash(string userName, string passwordHash, DateTimeOffset at) =>
        Write((connection, transaction) =>
        {
            ForgetFailedLogins(connection, transaction, userName, address: null);
            return _dialect.Execute(connection, transaction,
                "UPDATE users SET password_hash = @hash, failed_logins = 0, locked_until = NULL, updated_at = @at WHERE user_name = @name",
                ("@name", Col.Text, NormaliseUserName(userName)), ("@hash", Col.Text, passwordHash), ("@at", Col.Time, at));
        }) == 1;

    /// <summary>
    /// Counts one failed login from any address in a single statement (two consoles failing at once both count) and,
    /// at <paramref name="maxFailures"/>, locks the user until <paramref name="lockUntil"/> and starts counting afresh.
    /// Returns the user as stored afterwards.
    /// </summary>
    public UserRecord? RecordFailedLogin(string userName, int maxFailures, DateTimeOffset lockUntil, DateTimeOffset at)
    {
        var name = NormaliseUserName(userName);
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            """
            UPDATE users SET
                locked_until = CASE WHEN failed_logins + 1 >= @max THEN @until ELSE locked_until END,
                failed_logins = CASE WHEN failed_logins + 1 >= @max THEN 0 ELSE failed_logins + 1 END,
                updated_at = @at
            WHERE user_name = @name
            """,
            ("@name", Col.Text, name), ("@max", Col.Int, maxFailures), ("@until", Col.Time, lockUntil), ("@at", Col.Time, at)));
        return GetUser(name);
    }

    public AddressFailures? GetFailedLoginsFrom(string userName, string address) =>
        Query("SELECT user_name, address, failed_logins, locked_until FROM login_failures WHERE user_name = @name AND address = @address",
            ReadAddressFailures, ("@name", Col.Text, NormaliseUserName(userName)), ("@address", Col.Text, address)).FirstOrDefault();

    /// <summary>The addresses locked out of a user at <paramref name="at"/>, of every user.</summary>
    public IReadOnlyList<AddressFailures> ListAddressLockouts(DateTimeOffset at) =>
        Query("SELECT user_name, address, failed_logins, locked_until FROM login_failures WHERE locked_until > @at ORDER BY user_name, address",
            ReadAddressFailures, ("@at", Col.Time, at));

    /// <summary>
    /// Counts one failed login of the user from <paramref name="address"/> and, at <paramref name="maxFailures"/>, locks that
    /// address out of the user until <paramref name="lockUntil"/> and starts counting afresh. Any address's failures whose
    /// last came before <paramref name="forgetBefore"/>, and whose lock is over, are forgotten first: the addresses of one
    /// who guesses from many do not pile up. Returns the address's failures as stored afterwards.
    /// </summary>
    public AddressFailures? RecordFailedLoginFrom(string userName, string address, int maxFailures, DateTimeOffset lockUntil,
        DateTimeOffset forgetBefore, DateTimeOffset at)
    {
        var name = NormaliseUserName(userName);
        Write((connection, transaction) =>
        {
            _dialect.Execute(connection, transaction,
                "DELETE FROM login_failures WHERE updated_at < @forget AND (locked_until IS NULL OR locked_until <= @at)",
                ("@forget", Col.Time, forgetBefore), ("@at", Col.Time, at));
            return _dialect.Execute(connection, transaction,
                """
                INSERT INTO login_failures (user_name, address, failed_logins, locked_until, updated_at)
                VALUES (@name, @address, CASE WHEN 1 >= @max THEN 0 ELSE 1 END, CASE WHEN 1 >= @max THEN @until ELSE NULL END, @at)
                ON CONFLICT (user_name, address) DO UPDATE SET
                    locked_until = CASE WHEN login_failures.failed_logins + 1 >= @max THEN @until ELSE login_failures.locked_until END,
                    failed_logins = CASE WHEN login_failures.failed_logins + 1 >= @max THEN 0 ELSE login_failures.failed_logins + 1 END,
                    updated_at = @at
                """,
                ("@name", Col.Text, name), ("@address", Col.Text, address), ("@max", Col.Int, maxFailures), ("@until", Col.Time, lockUntil),
                ("@at", Col.Time, at));
        });
        return GetFailedLoginsFrom(name, address);
    }

    /// <summary>Lifts a lock-out, from every address and from each, and forgets the failed logins; false when there is no such user.</summary>
    public bool UnlockUser(string userName, DateTimeOffset at) =>
        Write((connection, transaction) =>
        {
            ForgetFailedLogins(connection, transaction, userName, address: null);
            return _dialect.Execute(connection, transaction,
                "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = @at WHERE user_name = @name",
                ("@name", Col.Text, NormaliseUserName(userName)), ("@at", Col.Time, at));
        }) == 1;

    /// <summary>A good login from <paramref name="address"/> clears the failure counts, that address's and every address's, and any expired lock.</summary>
    public void RecordSuccessfulLogin(string userName, string address, DateTimeOffset at) =>
        Write((connection, transaction) =>
        {
            ForgetFailedLogins(connection, transaction, userName, address);
            return _dialect.Execute(connection, transaction,
                "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = @at WHERE user_name = @name",
                ("@name", Col.Text, NormaliseUserName(userName)), ("@at", Col.Time, at));
        });

    /// <summary>
    /// Ends one console session for good: refused from now on, until <paramref name="expiresAt"/>, when no cookie of it can be
    /// valid any more and it is forgotten (sessions ended before <paramref name="at"/> are forgotten now).
    /// </summary>
    public void EndSession(string sessionId, DateTimeOffset expiresAt, DateTimeOffset at) =>
        Write((connection, transaction) =>
        {
            _dialect.Execute(connection, transaction, "DELETE FROM ended_sessions WHERE expires_at < @at", ("@at", Col.Time, at));
            return _dialect.Execute(connection, transaction,
                """
                INSERT INTO ended_sessions (session_id, expires_at) VALUES (@id, @expires)
                ON CONFLICT (session_id) DO UPDATE SET expires_at = excluded.expires_at
                """,
                ("@id", Col.Text, sessionId), ("@expires", Col.Time, expiresAt));
        });

    public bool SessionEnded(string sessionId) =>
        Query("SELECT 1 FROM ended_sessions WHERE session_id = @id", r => true, ("@id", Col.Text, sessionId)).Count > 0;

    /// <summary>Every session ended and not yet forgotten: the few logouts of the last hours.</summary>
    public IReadOnlySet<string> EndedSessions() =>
        Query("SELECT session_id FROM ended_sessions", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Deletes the user's failed logins from <paramref name="address"/>, or from every address when it is null.</summary>
    private void ForgetFailedLogins(DbConnection connection, DbTransaction transaction, string userName, string? address)
    {
        var name = ("@name", Col.Text, (object?)NormaliseUserName(userName));
        if (address is null) _dialect.Execute(connection, transaction, "DELETE FROM login_failures WHERE user_name = @name", name);
        else _dialect.Execute(connection, transaction, "DELETE FROM login_failures WHERE user_name = @name AND address = @address", name, ("@address", Col.Text, address));
    }

    private UserRecord ReadUser(DbDataReader r) => new()
    {
        UserName = r.GetString(0),
        DisplayName = NullableString(r, 1),
        PasswordHash = r.GetString(2),
        Roles = Split(r.GetString(3)),
        Claims = Split(r.GetString(4)),
        FailedLogins = r.GetInt32(5),
        LockedUntil = _dialect.ReadTimeOrNull(r, 6),
        Disabled = r.GetBoolean(7),
        CreatedAt = _dialect.ReadTime(r, 8),
        UpdatedAt = _dialect.ReadTime(r, 9),
    };

    private AddressFailures ReadAddressFailures(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), _dialect.ReadTimeOrNull(r, 3));

    private static string Join(IReadOnlyList<string> names) => string.Join(',', names.Select(n => n.Trim()).Where(n => n.Length > 0));

    private static IReadOnlyList<string> Split(string names) => names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
