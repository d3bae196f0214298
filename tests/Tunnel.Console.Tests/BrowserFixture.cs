using Tunnel.Central.Towers;
using Microsoft.Playwright;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The console on a real Kestrel port and Debian's Chromium driven by Playwright. Playwright never
/// downloads a browser here: it gets the system one by path, and the download switch is off.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private IPlaywright _playwright = null!;
    public ConsoleHost Host { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public System.Collections.Concurrent.ConcurrentBag<string> Dialogs { get; } = [];
    public static int DeadTowerPort => ((System.Net.IPEndPoint)DeadTower.LocalEndPoint!).Port;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium");
        Directory.CreateDirectory(Screenshots);
        // A tower nobody answers for: the maintenance page must show it dark and say why.
        Host = await ConsoleHost.StartAsync(kestrel: true,
            [new AlarmTowerSettings { Id = "control-room", Host = "127.0.0.1", Port = DeadTowerPort, Outputs = [new TowerOutput { Coil = 0 }] }],
            behindProxy: true);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh browser context (its own cookies) logged in as <paramref name="user"/>.</summary>
    public async Task<IPage> LoginAsync(string user, string? password = null, string lang = "")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1600, Height = 1000 }, Locale = "zh-CN",
        });
        var page = await context.NewPageAsync();
        // Any dialog would be a script the page did not mean to run, or an action that failed: tests check none came.
        page.Dialog += async (_, dialog) =>
        {
            Dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };
        await page.GotoAsync("/login" + lang);
        await page.FillAsync("#user", user);
        await page.FillAsync("#password", password ?? ConsoleHost.Password);
        await page.ClickAsync("#submit");
        try
        {
            // 60 s, not Playwright's 30: once in CI, with every test assembly busy on two cores, the first login of a
            // class took longer, and the failure said nothing of why. Now it says what the page said.
            await page.WaitForURLAsync(url => !url.Contains("/login"), new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"logging in as {user} never left {page.Url}; the page says \"{await page.TextContentAsync("#message")}\"", e);
        }
        return page;
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
    }

    // Bound and never listening: connections are refused, and nothing else on the machine can take the port meanwhile.
    private static readonly System.Net.Sockets.Socket DeadTower = Bind();

    private static System.Net.Sockets.Socket Bind()
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return socket;
    }
}
