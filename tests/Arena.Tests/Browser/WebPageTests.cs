using System.Net;
using System.Net.Http.Json;
using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Arena.Tests.Browser.PageSteps;

namespace Arena.Tests.Browser;

/// The web page at <c>/</c> in headless Chromium, as a person uses it: sign in, compare, history, errors.
public sealed class WebPageTests : IClassFixture<BrowserApp>
{
    private const string Reasoning = "The person wants HTML; <b>tags</b> must stay text.";

    private readonly BrowserApp app;

    public WebPageTests(BrowserApp app, ITestOutputHelper output)
    {
        this.app = app;
        app.Upstream.Reset();
        output.WriteLine($"Browser screenshots: {app.ScreenshotFolder}");
    }

    [Fact]
    public async Task CompareTurn_SignedInByName_StreamsBothColumnsAtOnceAndHistoryReopensIt()
    {
        using (var api = app.As("ada"))
        {
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-echo", title = "An older session" })).StatusCode);
        }

        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        await SignInByNameAsync(page, "ada");
        await StartCompareTurnAsync(page, "Why compare models side by side?");

        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 1, Patiently);
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 60, Patiently);
        await probe.ScreenshotAsync("compare-in-progress");
        var live = await page.Locator(".turn .reply .metrics").AllInnerTextsAsync();
        Assert.All(live, figures => Assert.Matches(@"^First chunk [\d.]+ m?s · ≈ [\d.]+ tok/s$", figures));

        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        var columns = page.Locator(".turn .reply");
        Assert.Equal(["success", "success"], await StatesAsync(columns));
        Assert.StartsWith("mock-swift here.", await columns.Nth(0).Locator(".markdown").InnerTextAsync(), StringComparison.Ordinal);
        Assert.StartsWith("mock-sage here.", await columns.Nth(1).Locator(".markdown").InnerTextAsync(), StringComparison.Ordinal);
        Assert.All(await columns.Locator(".metrics").AllInnerTextsAsync(), figures => Assert.Matches(@"First chunk [\d.]+ m?s · [\d.]+ tok/s · \d+ tokens", figures));

        await page.Locator("#prompt").FillAsync("And what does the second turn add?");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(AllColumnsSettled, 2, Patiently);
        Assert.Equal(["success", "success", "success", "success"], await StatesAsync(columns));
        Assert.Contains("And what does the second turn add?", await columns.Nth(2).Locator(".markdown").InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        var sessions = page.Locator("#sessions li");
        await sessions.Nth(1).WaitForAsync();
        Assert.Equal(2, await sessions.CountAsync());
        Assert.Contains("Why compare models side by side?", await sessions.Nth(0).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Compare · Mock Swift vs Mock Sage", await sessions.Nth(0).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("An older session", await sessions.Nth(1).InnerTextAsync(), StringComparison.Ordinal);

        await sessions.Nth(0).Locator("a").ClickAsync();
        await page.WaitForFunctionAsync(AllColumnsSettled, 2, Patiently);
        Assert.Equal(["success", "success", "success", "success"], await StatesAsync(columns));
        Assert.Equal(["Mock Swift", "Mock Sage", "Mock Swift", "Mock Sage"], await columns.Locator(".model").AllInnerTextsAsync());
        Assert.All(await columns.Locator(".metrics").AllInnerTextsAsync(), figures => Assert.Matches(@"First chunk [\d.]+ m?s · [\d.]+ tok/s · \d+ tokens · [\d.]+ s in all", figures));
        await probe.ScreenshotAsync("history-session");

        Assert.NotNull(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('arena.token')"));
        probe.AssertNoProblems();
    }

    [Fact]
    public async Task CompareTurn_ThreeModels_StreamsEveryColumnAtOnceVotesContinuesWithOneAndScrollsSidewaysOnAPhone()
    {
        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        await SignInByNameAsync(page, "babbage");
        await OpenCompareAsync(page);
        var addModel = page.GetByRole(AriaRole.Button, new() { Name = "Add model" });
        await addModel.ClickAsync();
        Assert.Equal("model-c", await ActiveIdAsync(page));
        await addModel.ClickAsync();
        Assert.Equal("model-d", await ActiveIdAsync(page));
        Assert.True(await addModel.IsHiddenAsync(), "four models at the most");
        var pickers = page.Locator("#compose select");
        const string Picked = "selects => selects.map(s => `${s.id}=${s.value}`)";
        var proposed = await pickers.EvaluateAllAsync<string[]>(Picked);
        Assert.Equal(4, proposed.Select(p => p.Split('=')[1]).Distinct().Count());
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove model C" }).ClickAsync();
        Assert.Equal([proposed[0], proposed[1], proposed[3].Replace("model-d", "model-c", StringComparison.Ordinal)], await pickers.EvaluateAllAsync<string[]>(Picked));
        Assert.True(await addModel.IsVisibleAsync());
        await page.Locator("#model-a").SelectOptionAsync("mock-swift");
        await page.Locator("#model-b").SelectOptionAsync("mock-sage");
        await page.Locator("#model-c").SelectOptionAsync("mock-echo");
        await page.Locator("#prompt").FillAsync("Three views on one question?");
        await probe.ScreenshotAsync("compose-three");
        await page.Locator("#prompt").PressAsync("Enter");

        await page.WaitForFunctionAsync(ColumnsMidAnswer, new { columns = 3, least = 1 }, Patiently);
        await page.WaitForFunctionAsync(ColumnsMidAnswer, new { columns = 3, least = 60 }, Patiently);
        await probe.ScreenshotAsync("compare-three-in-progress");
        var columns = page.Locator(".turn .reply");
        Assert.All(await columns.Locator(".metrics").AllInnerTextsAsync(), figures => Assert.Matches(@"^First chunk [\d.]+ m?s · ≈ [\d.]+ tok/s$", figures));
        Assert.Equal("Compare · Mock Swift vs Mock Sage vs Mock Echo", await page.Locator(".session-meta").InnerTextAsync());
        var continueButtons = page.GetByRole(AriaRole.Button, new() { Name = "Continue with this one" });
        Assert.Equal(0, await continueButtons.CountAsync());

        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        Assert.Equal(["success", "success", "success"], await StatesAsync(columns));
        Assert.Equal(["Mock Swift", "Mock Sage", "Mock Echo"], await columns.Locator(".model").AllInnerTextsAsync());
        var echoed = await columns.Nth(2).Locator(".markdown").InnerTextAsync();
        Assert.StartsWith("mock-echo here.", echoed, StringComparison.Ordinal);
        var vote = page.Locator("#vote");
        await vote.WaitForAsync();
        Assert.Equal(["A is best", "B is best", "C is best", "Tie", "All are bad"], await vote.GetByRole(AriaRole.Button).AllInnerTextsAsync());
        await vote.GetByRole(AriaRole.Button, new() { Name = "C is best" }).ClickAsync();
        await page.Locator("#vote-result").WaitForAsync();
        Assert.Equal(["You voted for C.", "This vote doesn't count: the models were known before the vote.", "New chat"], (await vote.InnerTextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var compareSession = new Uri(page.Url).Fragment;
        Assert.Equal(3, await continueButtons.CountAsync());
        await probe.ScreenshotAsync("compare-three-ended");
        var forked = page.WaitForResponseAsync(r => r.Url.EndsWith("/fork", StringComparison.Ordinal));
        await columns.Nth(2).GetByRole(AriaRole.Button, new() { Name = "Continue with this one" }).ClickAsync();
        Assert.Equal(201, (await forked).Status);
        await page.GetByText("Direct · Mock Echo").WaitForAsync();
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        Assert.NotEqual(compareSession, new Uri(page.Url).Fragment);
        Assert.Equal(["success"], await StatesAsync(columns));
        Assert.Equal(["A"], await columns.Locator(".participant").AllInnerTextsAsync());
        Assert.Equal(echoed, await columns.Locator(".markdown").InnerTextAsync());
        Assert.Equal("Three views on one question?", await page.Locator(".turn .prompt p").InnerTextAsync());
        Assert.Equal(0, await continueButtons.CountAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        var sessions = page.Locator("#sessions li");
        await sessions.Nth(1).WaitForAsync();
        var listed = await sessions.AllInnerTextsAsync();
        Assert.Equal(2, listed.Count);
        Assert.Single(listed, s => s.Contains("Direct · Mock Echo", StringComparison.Ordinal));
        Assert.Single(listed, s => s.Contains("Compare · Mock Swift vs Mock Sage vs Mock Echo", StringComparison.Ordinal));
        probe.AssertNoProblems();

        // The compare stays as it was; on a phone its three answers share one row that scrolls sideways to each.
        await using var phone = await PageProbe.OpenAsync(app, width: 390, height: 844);
        await SignInByNameAsync(phone.Page, "babbage");
        await phone.Page.GotoAsync($"/{compareSession}");
        await phone.Page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        var phoneColumns = phone.Page.Locator(".turn .reply");
        Assert.Equal(3, await phoneColumns.CountAsync());
        Assert.True(await phone.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "only the row of answers scrolls sideways");
        for (var index = 0; index < 3; index++)
        {
            var column = phoneColumns.Nth(index);
            await column.ScrollIntoViewIfNeededAsync();
            var box = await column.BoundingBoxAsync();
            Assert.True(box!.X >= 0 && box.X + box.Width <= 390, $"answer {index + 1} is wholly on the screen once scrolled to ({box.X} + {box.Width})");
        }

        await phone.ScreenshotAsync("compare-three-phone");
        phone.AssertNoProblems();
    }

    [Fact]
    public async Task Reply_WithReasoningScriptAndImageHandler_ShowsReasoningCollapsedAndAllAsTextRunningNothing()
    {
        var reply = OpenAIStream.Completion(
        [
            "Injected: <script>window.__arenaInjected = 'script'</script> ",
            "and <img src=x onerror=\"window.__arenaInjected = 'img'\"> and ",
            "[a link](javascript:window.__arenaInjected='link') and **bold**.\n\n",
            "```html\n<script>alert(1)</script>\n```\n",
        ]).ToList();
        reply.Insert(1, OpenAIStream.Reasoning(Reasoning[..20]));
        reply.Insert(2, OpenAIStream.Reasoning(Reasoning[20..]));
        app.Upstream.Enqueue(FakeResponse.EventStream(reply));

        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        probe.Expect(401, "/api/models");
        await page.GotoAsync("/");
        await page.Locator("#sign-in-token").FillAsync("not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this token" }).ClickAsync();
        await page.GetByText("Arena did not accept this token.").WaitForAsync();
        await page.Locator("#sign-in-token").FillAsync(TestTokens.For("eve"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this token" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Battle", Exact = true }).WaitForAsync();
        await OpenCompareAsync(page);

        await page.GetByLabel("Chat with one model").CheckAsync();
        await page.Locator("#model-a").SelectOptionAsync(BrowserApp.FakeModel);
        await page.Locator("#prompt").FillAsync("Show me some HTML.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        await AssertRenderedSafelyAsync(page);

        // Reopened from the stored message (the tab keeps its sign-in): rendered by the same rules.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);
        await AssertRenderedSafelyAsync(page);
        await probe.ScreenshotAsync("injection-as-text");
        probe.AssertNoProblems();
    }

    [Fact]
    public async Task Errors_ModelFailureRateLimitAndDeletedSession_AreShownInWords()
    {
        app.Upstream.Enqueue(FakeResponse.Json(429, """{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}"""));

        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        await SignInByNameAsync(page, "grace");
        await OpenCompareAsync(page);
        await page.Locator("#model-a").SelectOptionAsync("mock-swift");
        await page.Locator("#model-b").SelectOptionAsync(BrowserApp.LimitedModel);
        await page.Locator("#prompt").FillAsync("[mock:fail-after:3] Tell me about failures.");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);

        var columns = page.Locator(".turn .reply");
        Assert.Equal(["error", "error"], await StatesAsync(columns));
        var failed = await columns.Nth(0).Locator(".reply-note").InnerTextAsync();
        Assert.StartsWith("Mock Swift could not be reached.", failed, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(await columns.Nth(0).Locator(".markdown").InnerTextAsync()), "the part that arrived before the failure stays");
        var limited = await columns.Nth(1).Locator(".reply-note").InnerTextAsync();
        Assert.StartsWith($"{BrowserApp.LimitedModelName} hit its provider's rate limit.", limited, StringComparison.Ordinal);

        var sessionId = new Uri(page.Url).Fragment.Split('/')[^1];
        using (var api = app.As("grace"))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/sessions/{sessionId}")).StatusCode);
        }

        probe.Expect(404, "/api/messages/stream/");
        await page.Locator("#prompt").FillAsync("Are you still there?");
        await page.Locator("#prompt").PressAsync("Enter");
        var gone = page.Locator(".turn-status:not([hidden])");
        await gone.WaitForAsync();
        Assert.Equal("This session no longer exists. It may have been deleted.", await gone.InnerTextAsync());
        Assert.Equal("Are you still there?", await page.Locator("#prompt").InputValueAsync());

        foreach (var text in new[] { failed, limited, await gone.InnerTextAsync() })
        {
            Assert.DoesNotContain("{", text, StringComparison.Ordinal);
        }

        await probe.ScreenshotAsync("errors");
        probe.AssertNoProblems();
    }

    [Fact]
    public async Task Page_PhoneSizedScreen_SignsInByKeyboardComparesAndFits()
    {
        await using var probe = await PageProbe.OpenAsync(app, width: 390, height: 844);
        var page = probe.Page;
        await page.GotoAsync("/");
        await page.Locator("#sign-in-name").WaitForAsync();

        for (var presses = 0; presses < 6 && await ActiveIdAsync(page) != "sign-in-name"; presses++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Equal("sign-in-name", await ActiveIdAsync(page));
        await page.Keyboard.TypeAsync("hopper");
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Battle", Exact = true }).WaitForAsync();
        Assert.Equal("prompt", await ActiveIdAsync(page));
        await OpenCompareAsync(page);
        await page.Locator("#model-a").SelectOptionAsync("mock-swift");
        await page.Locator("#model-b").SelectOptionAsync("mock-sage");
        await page.Locator("#prompt").FocusAsync();
        await page.Keyboard.TypeAsync("Small screens?");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);

        var columns = page.Locator(".turn .reply");
        Assert.Equal(["success", "success"], await StatesAsync(columns));
        var first = await columns.Nth(0).BoundingBoxAsync();
        var second = await columns.Nth(1).BoundingBoxAsync();
        Assert.True(second!.Y >= first!.Y + first.Height, "on a phone the two answers stack");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "nothing is wider than the screen");
        Assert.Equal("prompt", await ActiveIdAsync(page));
        await probe.ScreenshotAsync("phone");
        probe.AssertNoProblems();
    }

    private static async Task AssertRenderedSafelyAsync(IPage page)
    {
        var reply = page.Locator(".turn .reply .markdown").First;
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__arenaInjected ?? null"));
        Assert.Equal(0, await reply.Locator("script, img, iframe, object, embed, svg").CountAsync());
        Assert.Equal(0, await reply.Locator("a[href^='javascript:' i]").CountAsync());
        Assert.False(await reply.EvaluateAsync<bool>("root => [...root.querySelectorAll('*')].some(e => [...e.attributes].some(a => a.name.startsWith('on')))"));

        // Reasoning sits above the answer, closed, and is as inert as the answer.
        var reasoning = page.Locator(".turn .reply .reasoning").First;
        Assert.True(await reasoning.IsVisibleAsync());
        Assert.False(await reasoning.EvaluateAsync<bool>("details => details.open"));
        Assert.True(await reasoning.EvaluateAsync<bool>("details => details.compareDocumentPosition(details.parentElement.querySelector('.markdown')) === Node.DOCUMENT_POSITION_FOLLOWING"));
        await reasoning.Locator("summary").ClickAsync();
        Assert.Equal(Reasoning, await reasoning.Locator(".reasoning-text").InnerTextAsync());
        Assert.Equal(0, await reasoning.Locator("b").CountAsync());

        var text = await reply.InnerTextAsync();
        Assert.Contains("<script>window.__arenaInjected = 'script'</script>", text, StringComparison.Ordinal);
        Assert.Contains("<img src=x onerror=\"window.__arenaInjected = 'img'\">", text, StringComparison.Ordinal);
        Assert.Equal("<script>alert(1)</script>", (await reply.Locator("pre code").InnerTextAsync()).Trim());
        Assert.Equal("bold", await reply.Locator("strong").InnerTextAsync());
    }
}
