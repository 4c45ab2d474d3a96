using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Arena.Tests.Browser.PageSteps;

namespace Arena.Tests.Browser;

/// Battles and the leaderboard on the web page: anonymous columns, the vote and what it reveals, the ratings.
public sealed class BattlePageTests : IClassFixture<BrowserApp>
{
    private readonly BrowserApp app;

    public BattlePageTests(BrowserApp app, ITestOutputHelper output)
    {
        this.app = app;
        output.WriteLine($"Browser screenshots: {app.ScreenshotFolder}");
    }

    [Fact]
    public async Task Battle_TwoTurnsThenVote_StreamsAnonymouslyRevealsNamesAndReachesTheLeaderboard()
    {
        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        await SignInByNameAsync(page, "lovelace");

        await page.Locator("#prompt").FillAsync("Which sorting algorithm should I teach first?");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 1, Patiently);
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 60, Patiently);
        await probe.ScreenshotAsync("battle-in-progress");
        var columns = page.Locator(".turn .reply");
        Assert.Equal(["Model A", "Model B"], await columns.Locator(".model").AllInnerTextsAsync());
        Assert.All(await columns.Locator(".metrics").AllInnerTextsAsync(), figures => Assert.Matches(@"^First chunk [\d.]+ m?s · ≈ [\d.]+ tok/s$", figures));
        Assert.True(await page.Locator("#vote").IsHiddenAsync(), "no vote while the answers stream");
        Assert.Equal("Battle · anonymous until you vote", await page.Locator(".session-meta").InnerTextAsync());

        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        var vote = page.Locator("#vote");
        await vote.WaitForAsync();
        await page.Locator("#prompt").FillAsync("And which one second?");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(AllColumnsSettled, 2, Patiently);
        Assert.Equal(["success", "success", "success", "success"], await StatesAsync(columns));
        Assert.Equal(["Model A", "Model B", "Model A", "Model B"], await columns.Locator(".model").AllInnerTextsAsync());
        var sessionId = new Uri(page.Url).Fragment.Split('/')[^1];

        await vote.GetByRole(AriaRole.Button, new() { Name = "A is better" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var result = page.Locator("#vote-result");
        await result.WaitForAsync();
        Assert.Equal("Your vote counts toward the leaderboard.", await result.InnerTextAsync());

        var (modelA, modelB) = await RevealedModelsAsync("lovelace", sessionId);
        var (nameA, nameB) = (BrowserApp.MockModels[modelA], BrowserApp.MockModels[modelB]);
        Assert.Equal([nameA, nameB, nameA, nameB], await columns.Locator(".model").AllInnerTextsAsync());
        Assert.Equal($"Model A was {nameA}; Model B was {nameB}.", await vote.Locator(".revealed").InnerTextAsync());
        Assert.Equal($"Battle · {nameA} vs {nameB}", await page.Locator(".session-meta").InnerTextAsync());
        Assert.Equal("new-battle", await page.EvaluateAsync<string>("() => document.activeElement.className.split(' ').at(-1)"));

        // The next battle fails on both sides: its vote is taken but does not count, and the page says why.
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Battle", Exact = true }).WaitForAsync();
        await page.Locator("#prompt").FillAsync("[mock:fail-after:2] Is this one fair?");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        Assert.Equal(["error", "error"], await StatesAsync(columns));
        await vote.GetByRole(AriaRole.Button, new() { Name = "Both are bad" }).ClickAsync();
        await result.WaitForAsync();
        Assert.Equal("This vote doesn't count: one side failed.", await result.InnerTextAsync());
        Assert.DoesNotContain("Model A", await columns.Locator(".model").AllInnerTextsAsync());

        await vote.GetByRole(AriaRole.Link, new() { Name = "See the leaderboard" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Leaderboard" }).WaitForAsync();
        var rows = page.Locator("#leaderboard tbody tr");
        await page.Locator($"#leaderboard tbody tr[data-model='{modelA}']").WaitForAsync();
        Assert.Equal(2, await rows.CountAsync());
        var winner = await RowAsync(page, modelA);
        var loser = await RowAsync(page, modelB);
        Assert.Equal(["1", "1", nameA], winner[..3]);
        Assert.Equal(nameB, loser[2]);
        Assert.Equal(["1", "1 / 0 / 0"], winner[5..7]);
        Assert.Equal(["1", "0 / 0 / 1"], loser[5..7]);
        Assert.True(int.Parse(winner[3], System.Globalization.CultureInfo.InvariantCulture) > int.Parse(loser[3], System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(new[] { winner, loser }, row => Assert.Matches(@"^\d+ ms|^[\d.]+ s", row[7]));
        Assert.Equal("1 counted vote", (await page.Locator("#leaderboard-summary").InnerTextAsync()).Split(" · ")[0]);
        Assert.Equal(2, await page.Locator("#leaderboard .interval-bar").CountAsync());
        await probe.ScreenshotAsync("leaderboard");

        await page.GetByLabel("Control for answer length").CheckAsync();
        await page.Locator("#leaderboard[data-control='length'] tbody tr").First.WaitForAsync();
        Assert.Equal(2, await rows.CountAsync());
        Assert.Equal(["1", "1 / 0 / 0"], (await RowAsync(page, modelA))[5..7]);
        probe.AssertNoProblems();
    }

    private async Task<(string ModelA, string ModelB)> RevealedModelsAsync(string user, string sessionId)
    {
        using var api = app.As(user);
        var session = await api.GetFromJsonAsync<JsonElement>($"/api/sessions/{sessionId}");
        return (session.GetProperty("model_a").GetString()!, session.GetProperty("model_b").GetString()!);
    }

    private static async Task<string[]> RowAsync(IPage page, string model) =>
        [.. await page.Locator($"#leaderboard tbody tr[data-model='{model}'] > *").AllInnerTextsAsync()];
}
