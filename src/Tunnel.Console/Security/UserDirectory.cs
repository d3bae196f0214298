using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Security;

public enum SignInOutcome { Succeeded, Failed, LockedOut }

public sealed record SignInResult(SignInOutcome Outcome, UserRecord? User, DateTimeOffset? LockedUntil = null);

/// <summary>
/// Console users over the store: Identity's password hasher (PBKDF2, versioned, rehash on upgrade),
/// lock-out after repeated failures, and the first admin.
/// </summary>
public sealed class UserDirectory(TunnelStore store, IOptions<ConsoleOptions> options, TimeProvider clock, ILogger<UserDirectory> log)
{
    public const int MinPasswordLength = 10;
    public const int MaxUserNameLength = 64;
    public const string FirstAdmin = "admin";
    private static readonly PasswordHasher<UserRecord> Hasher = new();
    private static readonly UserRecord Nobody = new() { UserName = "", PasswordHash = "", Roles = [] };
    // Verifying against a real hash for unknown users keeps their answer as slow as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(Nobody, RandomPassword());

    private readonly UnknownNameLockouts _unknownNames = new();
    // One attempt per name at a time, from the lock-out check to the failure it records: otherwise guesses sent
    // together all pass the check before the first of them is counted, and each gets its try past the limit.
    private readonly object[] _attemptLocks = [.. Enumerable.Range(0, 64).Select(_ => new object())];

    private ConsoleOptions Options => options.Value;

    public SignInResult SignIn(string userName, string password)
    {
        // No user has a longer name; a longer one is counted under its first characters, so guesses cannot fill memory.
        var name = TunnelStore.NormaliseUserName(userName ?? "");
        if (name.Length > MaxUserNameLength) name = name[..(MaxUserNameLength + 1)];
        lock (_attemptLocks[(uint)StringComparer.Ordinal.GetHashCode(name) % _attemptLocks.Length]) return SignInOnce(name, password);
    }

    private SignInResult SignInOnce(string name, string password)
    {
        var now = clock.GetUtcNow();
        var user = string.IsNullOrWhiteSpace(name) || name.Length > MaxUserNameLength ? null : store.GetUser(name);
        if (user is null || user.Disabled)
        {
            if (_unknownNames.LockedUntil(name, now) is { } locked) return new SignInResult(SignInOutcome.LockedOut, null, locked);
            Hasher.VerifyHashedPassword(Nobody, DummyHash, password);
            return _unknownNames.RecordFailure(name, Options.MaxFailedLogins, now.AddMinutes(Options.LockoutMinutes), now) is { } until
                ? new SignInResult(SignInOutcome.LockedOut, null, until)
                : new SignInResult(SignInOutcome.Failed, null);
        }
        // A locked user is not even checked: guessing on during the lock-out gains nothing.
        if (user.LockedUntil > now) return new SignInResult(SignInOutcome.LockedOut, user, user.LockedUntil);

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            var after = RecordWrongPassword(user, "login-failed", null, now);
            return after?.LockedUntil > now ? new SignInResult(SignInOutcome.LockedOut, after, after.LockedUntil) : new SignInResult(SignInOutcome.Failed, null);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            store.SetPasswordHash(user.UserName, Hasher.HashPassword(user, password), now);
            // The session's stamp must come from the hash as stored now.
            user = store.GetUser(user.UserName)!;
        }
        store.RecordSuccessfulLogin(user.UserName, now);
        store.Audit(user.UserName, "login", "user:" + user.UserName, null, now);
        return new SignInResult(SignInOutcome.Succeeded, user);
    }

    /// <summary>Counts a wrong password against the user, audited as <paramref name="action"/>; the user as stored after, locked out or not.</summary>
    private UserRecord? RecordWrongPassword(UserRecord user, string action, string? detail, DateTimeOffset now)
    {
        var after = store.RecordFailedLogin(user.UserName, Options.MaxFailedLogins, now.AddMinutes(Options.LockoutMinutes), now);
        store.Audit(user.UserName, action, "user:" + user.UserName, detail, now);
        if (after?.LockedUntil > now)
        {
            log.LogWarning("console user {User} locked out until {Until:u} after {N} wrong passwords", user.UserName, after.LockedUntil, Options.MaxFailedLogins);
            store.Audit(user.UserName, "locked-out", "user:" + user.UserName, $"until {after.LockedUntil:O}", now);
        }
        return after;
    }

    /// <summary>Creates a user; throws <see cref="ArgumentException"/> on a bad name, role or password, <see cref="InvalidOperationException"/> when the name is taken.</summary>
    public UserRecord Create(string userName, string password, IReadOnlyList<string> roles, IReadOnlyList<string>? claims = null, string? displayName = null)
    {
        var name = TunnelStore.NormaliseUserName(userName);
        if (name.Length is < 2 or > MaxUserNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException("user names are 2 to 64 of a-z 0-9 - _ .", nameof(userName));
        if (roles.Count == 0 || roles.Any(r => !Roles.All.Contains(r)))
            throw new ArgumentException($"roles must be some of {string.Join(", ", Roles.All)}", nameof(roles));
        if (claims?.Any(c => c != Roles.PlatesClaim) == true)
            throw new ArgumentException($"the only grant is '{Roles.PlatesClaim}'", nameof(claims));
        CheckPassword(password);
        var user = new UserRecord { UserName = name, DisplayName = displayName, PasswordHash = "", Roles = roles, Claims = claims ?? [] };
        user = user with { PasswordHash = Hasher.HashPassword(user, password) };
        if (!store.AddUser(user, clock.GetUtcNow())) throw new InvalidOperationException($"user '{name}' exists");
        return user;
    }

    /// <summary>
    /// Changes a password after checking the current one; throws <see cref="ArgumentException"/> on a wrong current or a weak new one.
    /// A wrong current password counts as a failed login: a console left logged in is no place to guess the password on end.
    /// </summary>
    public void ChangePassword(string userName, string current, string replacement)
    {
        var user = store.GetUser(userName) ?? throw new ArgumentException("no such user", nameof(userName));
        var now = clock.GetUtcNow();
        if (user.LockedUntil > now) throw new ArgumentException($"too many wrong passwords; locked until {user.LockedUntil:O}", nameof(current));
        if (Hasher.VerifyHashedPassword(user, user.PasswordHash, current) == PasswordVerificationResult.Failed)
        {
            RecordWrongPassword(user, "password-change-failed", "wrong current password", now);
            throw new ArgumentException("the current password is wrong", nameof(current));
        }
        if (current == replacement) throw new ArgumentException("the new password must differ from the current one", nameof(replacement));
        SetPassword(user, replacement);
    }

    /// <summary>Sets a password without the current one (an admin's reset); false when there is no such user.</summary>
    public bool ResetPassword(string userName, string replacement)
    {
        var user = store.GetUser(userName);
        if (user is null) return false;
        SetPassword(user, replacement);
        return true;
    }

    private void SetPassword(UserRecord user, string password)
    {
        CheckPassword(password);
        store.SetPasswordHash(user.UserName, Hasher.HashPassword(user, password), clock.GetUtcNow());
    }

    /// <summary>
    /// Changes whenever the password does: a session carries the stamp it was issued with, so a
    /// password change or reset ends every other session of that user.
    /// </summary>
    public static string Stamp(UserRecord user) =>
        Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(user.PasswordHash)), 0, 8);

    public static void CheckPassword(string password)
    {
        if (password is null || password.Length < MinPasswordLength) throw new ArgumentException($"passwords have at least {MinPasswordLength} characters", nameof(password));
    }

    /// <summary>
    /// At first start (no users at all) creates <c>admin</c> with the configured password, or with a
    /// random one printed once to the log. There is never a default password.
    /// </summary>
    public void EnsureFirstAdmin()
    {
        if (store.CountUsers() > 0) return;
        var configured = Options.AdminPassword;
        var password = string.IsNullOrEmpty(configured) ? RandomPassword() : configured;
        Create(FirstAdmin, password, [Roles.Admin], displayName: "Administrator");
        store.Audit("system", "user-created", "user:" + FirstAdmin, "first admin", clock.GetUtcNow());
        if (string.IsNullOrEmpty(configured))
            log.LogWarning("console: created user '{User}' with password {Password} (shown once: keep it safe, or set Tunnel:Console:AdminPassword before the first start)",
                FirstAdmin, password);
        else
            log.LogInformation("console: created user '{User}' with the password from Tunnel:Console:AdminPassword", FirstAdmin);
    }

    /// <summary>A password for a first admin nobody chose: 16 characters, none that look alike.</summary>
    public static string RandomPassword()
    {
        // No look-alike characters: the password is read off a log and typed by hand.
        const string alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, 16);
    }
}
