using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Arena.Tests.Browser.PageSteps;

namespace Arena.Tests.Browser;

/// axe-core in Chromium on every view of the page, at desktop and phone sizes, on the slow mock models so that a battle
/// is audited while both columns stream.
public sealed class AccessibilityPageTests(SlowBrowserApp app, ITestOutputHelper output) : IClassFixture<SlowBrowserApp>
{
    [Fact]
    public async Task Chromium_EveryView_HasNoSeriousOrCriticalAxeViolationsAtDesktopAndPhoneSizes()
    {
        await using var probe = await PageProbe.OpenAsync(app, AxeAudit.Desktop.Width, AxeAudit.Desktop.Height);
        var page = probe.Page;
        var audits = new List<JsonElement>();
        probe.Expect(401, "/api/models");

        await page.GotoAsync("/");
        await page.Locator("#sign-in-name").WaitForAsync();
        audits.AddRange(await AxeAudit.RunAsync(page, "sign-in"));
        await page.Locator("#sign-in-token").FillAsync("not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this token" }).ClickAsync();
        await page.GetByText("Arena did not accept this token.").WaitForAsync();
        audits.AddRange(await AxeAudit.RunAsync(page, "error"));

        await page.Locator("#sign-in-name").FillAsync("auditor");
        await page.Locator("#sign-in-name").PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Battle", Exact = true }).WaitForAsync();
        await page.Locator("#prompt").FillAsync("Which sorting algorithm should I teach first?");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 10, Patiently);
        audits.AddRange(await AxeAudit.RunAsync(page, "battle-streaming"));
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        await page.Locator("#vote").GetByRole(AriaRole.Button, new() { Name = "A is better" }).ClickAsync();
        await page.Locator("#vote-result").WaitForAsync();
        audits.AddRange(await AxeAudit.RunAsync(page, "battle-voted"));

        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Leaderboard" }).ClickAsync();
        await page.Locator("#leaderboard tbody tr").First.WaitForAsync();
        audits.AddRange(await AxeAudit.RunAsync(page, "leaderboard"));

        await StartCompareTurnAsync(page, "Why compare models side by side?");
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 10, Patiently);
        audits.AddRange(await AxeAudit.RunAsync(page, "compare-streaming"));
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        audits.AddRange(await AxeAudit.RunAsync(page, "compare-ended"));

        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        await page.Locator("#sessions li").Nth(1).WaitForAsync();
        audits.AddRange(await AxeAudit.RunAsync(page, "history"));

        AxeAudit.AssertNoSeriousViolations(audits, output);
        probe.AssertNoProblems();
    }
}
