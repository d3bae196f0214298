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
/// <remarks>
/// Failures lock a name per client address (<see cref="ConsoleOptions.MaxFailedLogins"/>): one who guesses, or fails on
/// purpose to keep an operator out, locks only their own address out of that name, and the operator still signs in at the
/// control room's workstation. Failures from every address together lock the name everywhere at a much higher count
/// (<see cref="ConsoleOptions.MaxFailedLoginsAllAddresses"/>), which bounds guessing spread over many addresses.
/// </remarks>
public sealed class UserDirectory(TunnelStore store, IOptions<ConsoleOptions> options, TimeProvider clock, ILogger<UserDirectory> log)
{
    public const int MinPasswordLength = 10;
    public const int MaxUserNameLength = 64;
    public const string FirstAdmin = "admin";
    /// <summary>
    /// PBKDF2-HMAC-SHA512 rounds: OWASP's figure for it (Identity's default is 100,000). A hash stored with fewer is
    /// made again at its user's next login, so raising this upgrades every account that signs in.
    /// </summary>
    public const int HashIterations = 210_000;
    private static readonly PasswordHasher<UserRecord> Hasher = new(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions { IterationCount = HashIterations }));
    private static readonly UserRecord Nobody = new() { UserName = "", PasswordHash = "", Roles = [] };
    // Verifying against a real hash for unknown users keeps their answer as slow as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(Nobody, RandomPassword());

    // An address's failures at a name are forgotten a day after its last: addresses do not pile up in the store.
    private static readonly TimeSpan ForgetAddressAfter = TimeSpan.FromDays(1);

    private readonly UnknownNameLockouts _unknownNames = new();
    private readonly UnknownNameLockouts _unknownNamesFrom = new();
    // One attempt per name at a time, from the lock-out check to the failure it records: otherwise guesses sent
    // together all pass the check before the first of them is counted, and each gets its try past the limit.
    private readonly object[] _attemptLocks = [.. Enumerable.Range(0, 64).Select(_ => new object())];

    private ConsoleOptions Options => options.Value;

    /// <summary>Signs in from <paramref name="address"/> (<see cref="ClientAddress"/>), which failures are counted by.</summary>
    public SignInResult SignIn(string userName, string password, string address)
    {
        // No user has a longer name; a longer one is counted under its first characters, so guesses cannot fill memory.
        var name = TunnelStore.NormaliseUserName(userName ?? "");
        if (name.Length > MaxUserNameLength) name = name[..(MaxUserNameLength + 1)];
        lock (AttemptLock(name)) return SignInOnce(name, password, address);
    }

    private object AttemptLock(string name) => _attemptLocks[(uint)StringComparer.Ordinal.GetHashCode(name) % _attemptLocks.Length];

    private SignInResult SignInOnce(string name, string password, string address)
    {
        var now = clock.GetUtcNow();
        var user = string.IsNullOrWhiteSpace(name) || name.Length > MaxUserNameLength ? null : store.GetUser(name);
        if (user is null || user.Disabled) return SignInUnknown(name, password, address, now);
        // A locked user is not even checked: guessing on during the lock-out gains nothing.
        if (LockedUntil(user, address, now) is { } locked) return new SignInResult(SignInOutcome.LockedOut, user, locked);

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            return RecordWrongPassword(user, address, "login-failed", null, now) is { } until
                ? new SignInResult(SignInOutcome.LockedOut, user, until)
                : new SignInResult(SignInOutcome.Failed, null);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            store.SetPasswordHash(user.UserName, Hasher.HashPassword(user, password), now);
            // The session's stamp must come from the hash as stored now.
            user = store.GetUser(user.UserName)!;
        }
        store.RecordSuccessfulLogin(user.UserName, address, now);
        store.Audit(user.UserName, "login", "user:" + user.UserName, $"from {address}", now);
        return new SignInResult(SignInOutcome.Succeeded, user);
    }

    /// <summary>A name that is no user (or a retired one) answers as a user's would, counted in memory the same two ways.</summary>
    private SignInResult SignInUnknown(string name, string password, string address, DateTimeOffset now)
    {
        // The address first: it has no space, so no two pairs of address and name make the same key.
        var fromAddress = address + " " + name;
        if ((_unknownNames.LockedUntil(name, now) ?? _unknownNamesFrom.LockedUntil(fromAddress, now)) is { } locked)
            return new SignInResult(SignInOutcome.LockedOut, null, locked);
        Hasher.VerifyHashedPassword(Nobody, DummyHash, password);
        var lockUntil = now.AddMinutes(Options.LockoutMinutes);
        var everywhere = _unknownNames.RecordFailure(name, Options.MaxFailedLoginsAllAddresses, lockUntil, now);
        var here = _unknownNamesFrom.RecordFailure(fromAddress, Options.MaxFailedLogins, lockUntil, now);
        return (everywhere ?? here) is { } until ? new SignInResult(SignInOutcome.LockedOut, null, until) : new SignInResult(SignInOutcome.Failed, null);
    }

    /// <summary>Until when the user is locked out, from every address or from <paramref name="address"/>; null when not.</summary>
    private DateTimeOffset? LockedUntil(UserRecord user, string address, DateTimeOffset now)
    {
        if (user.LockedUntil > now) return user.LockedUntil;
        return store.GetFailedLoginsFrom(user.UserName, address)?.LockedUntil is { } until && until > now ? until : null;
    }

    /// <summary>
    /// Counts a wrong password from <paramref name="address"/> against the user, for that address and for every address together,
    /// audited as <paramref name="action"/>; until when the user is locked out now, from that address or from all, or null.
    /// </summary>
    private DateTimeOffset? RecordWrongPassword(UserRecord user, string address, string action, string? detail, DateTimeOffset now)
    {
        var name = user.UserName;
        var lockUntil = now.AddMinutes(Options.LockoutMinutes);
        var here = store.RecordFailedLoginFrom(name, address, Options.MaxFailedLogins, lockUntil, now - ForgetAddressAfter, now);
        var everywhere = store.RecordFailedLogin(name, Options.MaxFailedLoginsAllAddresses, lockUntil, now);
        store.Audit(name, action, "user:" + name, detail is null ? $"from {address}" : $"{detail} from {address}", now);
        DateTimeOffset? locked = null;
        if (here?.LockedUntil > now)
        {
            log.LogWarning("console user {User} locked out from {Address} until {Until:u} after {N} wrong passwords from there",
                name, address, here.LockedUntil, Options.MaxFailedLogins);
            store.Audit(name, "locked-out", "user:" + name, $"from {address} until {here.LockedUntil:O}", now);
            locked = here.LockedUntil;
        }
        if (everywhere?.LockedUntil > now)
        {
            log.LogWarning("console user {User} locked out from every address until {Until:u} after {N} wrong passwords from all, the last from {Address}",
                name, everywhere.LockedUntil, Options.MaxFailedLoginsAllAddresses, address);
            store.Audit(name, "locked-out", "user:" + name, $"from every address until {everywhere.LockedUntil:O}, the last wrong password from {address}", now);
            locked = everywhere.LockedUntil;
        }
        return locked;
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
    /// A wrong current password counts as a failed login from <paramref name="address"/>: a console left logged in is no place
    /// to guess the password on end.
    /// </summary>
    public void ChangePassword(string userName, string current, string replacement, string address)
    {
        // One attempt per name at a time, as a login: guesses sent together from a session would each pass the lock-out check.
        lock (AttemptLock(TunnelStore.NormaliseUserName(userName))) ChangePasswordOnce(userName, current, replacement, address);
    }

    private void ChangePasswordOnce(string userName, string current, string replacement, string address)
    {
        var user = store.GetUser(userName) ?? throw new ArgumentException("no such user", nameof(userName));
        var now = clock.GetUtcNow();
        if (LockedUntil(user, address, now) is { } locked) throw new ArgumentException($"too many wrong passwords; locked until {locked:O}", nameof(current));
        if (Hasher.VerifyHashedPassword(user, user.PasswordHash, current) == PasswordVerificationResult.Failed)
        {
            RecordWrongPassword(user, address, "password-change-failed", "wrong current password", now);
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
