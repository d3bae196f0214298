using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Tests;

public sealed class FirstAdminTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tunnel-console-admin-" + Guid.NewGuid().ToString("N"));
    private readonly TunnelStore _store;

    public FirstAdminTests() => _store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(_dir));

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Without_a_configured_password_the_first_admin_gets_a_random_one_logged_once()
    {
        var lines = new List<string>();
        using var logs = LoggerFactory.Create(b => b.AddProvider(new ListLoggerProvider(lines)));
        var users = new UserDirectory(_store, Options.Create(new ConsoleOptions()), TimeProvider.System, logs.CreateLogger<UserDirectory>());
        users.EnsureFirstAdmin();
        users.EnsureFirstAdmin();
        var line = Assert.Single(lines, l => l.Contains("password"));
        var password = line.Split(' ').SkipWhile(w => w != "password").Skip(1).First();
        Assert.Equal(16, password.Length);
        Assert.Equal(SignInOutcome.Succeeded, users.SignIn("admin", password, "local").Outcome);
        Assert.Equal(1, _store.CountUsers());

        // A second store starts with another password: nothing is a default.
        using var other = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(Path.Combine(_dir, "other")));
        var otherUsers = new UserDirectory(other, Options.Create(new ConsoleOptions()), TimeProvider.System, logs.CreateLogger<UserDirectory>());
        otherUsers.EnsureFirstAdmin();
        Assert.Equal(SignInOutcome.Failed, otherUsers.SignIn("admin", password, "local").Outcome);
    }

    [Fact]
    public void Short_passwords_and_unknown_roles_are_refused()
    {
        var users = new UserDirectory(_store, Options.Create(new ConsoleOptions { AdminPassword = "configured-admin-pw" }), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<UserDirectory>.Instance);
        Assert.Throws<ArgumentException>(() => users.Create("short", "123", [Roles.Operator]));
        Assert.Throws<ArgumentException>(() => users.Create("who", "long-enough-password", ["root"]));
        users.EnsureFirstAdmin();
        Assert.Equal(SignInOutcome.Succeeded, users.SignIn("ADMIN", "configured-admin-pw", "local").Outcome);
    }
}
