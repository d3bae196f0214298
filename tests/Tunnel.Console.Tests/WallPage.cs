using Microsoft.Playwright;

namespace Tunnel.WebConsole.Tests;

/// <summary>Waits on the operator wall shared by its browser tests.</summary>
internal static class WallPage
{
    /// <summary>Until the wall has drawn a snapshot later than the one it shows now.</summary>
    public static async Task NextSnapshotAsync(IPage page)
    {
        var shown = await page.EvaluateAsync<string?>("() => document.body.dataset.snapshotAt ?? null");
        await page.WaitForFunctionAsync("shown => (document.body.dataset.snapshotAt ?? null) !== shown", shown);
    }
}
