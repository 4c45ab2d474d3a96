using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Modules.Messaging.Resume;
using Arena.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Arena.Tests.Browser.PageSteps;

namespace Arena.Tests.Browser;

/// Resumable streams in a real browser: an EventSource that loses its connection, Stop, and a reload in the middle of a
/// turn. The mock models are slow (about 10 s a reply), so each turn is still running when the browser comes back.
public sealed class ResumePageTests : IClassFixture<SlowBrowserApp>
{
    private const string TestPage = "eventsource-resume.html";

    private readonly SlowBrowserApp app;

    public ResumePageTests(SlowBrowserApp app, ITestOutputHelper output)
    {
        this.app = app;
        output.WriteLine($"Browser screenshots: {app.ScreenshotFolder}");
    }

    [Fact]
    public async Task EventSource_ProxyRestartedMidTurn_ReconnectsWithLastEventIdAndEndsWithBothStoredReplies()
    {
        const string user = "eventsource";
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        var session = await CreateCompareAsync(client);
        await StartResumableTurnAsync(client, session, "Why do streams need ids?");

        await using var proxy = FaultProxy.Start(app.BaseAddress);
        await using var probe = await PageProbe.OpenAsync(app, baseAddress: proxy.Address);
        var page = probe.Page;
        var stream = $"/api/sessions/{session}/stream";
        probe.ExpectBroken(stream);
        // A page of the test's own at the proxy's origin (fulfilled by the browser, never served by Arena): the
        // EventSource is same-origin, and carries its token in the query since it cannot set a header.
        var html = EventSourcePage($"{stream}?access_token={Uri.EscapeDataString(TestTokens.For(user))}");
        await page.RouteAsync(new Uri(proxy.Address, TestPage).ToString(), route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html; charset=utf-8", Body = html }));
        await page.GotoAsync(TestPage);

        await page.WaitForFunctionAsync("() => (resume.texts.a ?? '').length > 0 && (resume.texts.b ?? '').length > 0 && resume.opens === 1", null, Patiently);
        proxy.Restart();
        await page.WaitForFunctionAsync("() => resume.done", null, Patiently);

        var state = await page.EvaluateAsync<JsonElement>("() => resume");
        // The cut came mid-turn (the end arrived on the second connection), and the browser reconnected by itself.
        Assert.Equal(2, state.GetProperty("opens").GetInt32());
        Assert.Equal(2, state.GetProperty("done_on_open").GetInt32());
        Assert.True(state.GetProperty("errors").GetInt32() >= 1);
        // Every id once, in order: nothing replayed twice after Last-Event-ID, nothing skipped.
        var ids = state.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => (long)i), ids);
        var texts = state.GetProperty("texts");
        foreach (var participant in new[] { "a", "b" })
        {
            var stored = await StreamReplyTests.AssistantAsync(client, session, participant);
            Assert.Equal("success", stored.GetProperty("status").GetString());
            Assert.Equal(stored.GetProperty("content").GetString(), texts.GetProperty(participant).GetString());
        }

        probe.AssertNoProblems();
    }

    [Fact]
    public async Task Stop_WhileBothColumnsStream_StopsTheTurnOnTheServerAndShowsBothCancelled()
    {
        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        await SignInByNameAsync(page, "stopper");
        await StartCompareTurnAsync(page, "Stop me halfway.");
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 10, Patiently);
        var session = Guid.Parse(new Uri(page.Url).Fragment.Split('/')[^1]);

        var stopAnswer = page.WaitForResponseAsync(r => r.Url.EndsWith($"/api/sessions/{session}/stop", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        var stopped = await stopAnswer;
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);

        Assert.Equal(200, stopped.Status);
        Assert.True((await stopped.JsonAsync())!.Value.GetProperty("stopped").GetBoolean());
        var columns = page.Locator(".turn .reply");
        Assert.Equal(["cancelled", "cancelled"], await StatesAsync(columns));
        Assert.Equal(["Cancelled", "Cancelled"], await columns.Locator(".badge").AllInnerTextsAsync());
        Assert.All(await columns.Locator(".reply-note").AllInnerTextsAsync(), note => Assert.Equal("The answer was stopped before it finished; what arrived is kept.", note));
        Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).IsHiddenAsync());
        Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).IsEnabledAsync());

        using var api = app.As("stopper");
        foreach (var (participant, index) in new[] { ("a", 0), ("b", 1) })
        {
            var stored = await StreamReplyTests.AssistantAsync(api, session, participant);
            Assert.Equal("cancelled", stored.GetProperty("status").GetString());
            var shown = await columns.Nth(index).Locator(".markdown").InnerTextAsync();
            Assert.True(shown.Length >= 10, shown);
            // What arrived is kept: the stored row holds what the column showed (a chunk the stop caught on its way may follow).
            Assert.StartsWith(shown, stored.GetProperty("content").GetString(), StringComparison.Ordinal);
        }

        await probe.ScreenshotAsync("stopped");
        probe.AssertNoProblems();
    }

    [Fact]
    public async Task Reload_MidBattleTurn_ResumesToTheCompleteAnswersWithoutNamingTheModels()
    {
        await using var probe = await PageProbe.OpenAsync(app);
        var page = probe.Page;
        await SignInByNameAsync(page, "reloader");
        await page.Locator("#prompt").FillAsync("Does a reload lose my answers?");
        await page.Locator("#prompt").PressAsync("Enter");
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, 20, Patiently);
        var session = Guid.Parse(new Uri(page.Url).Fragment.Split('/')[^1]);
        Assert.Equal(session.ToString(), await page.EvaluateAsync<string>("() => JSON.parse(sessionStorage.getItem('arena.runningTurn')).session"));
        var before = await page.Locator(".turn .reply .markdown").AllInnerTextsAsync();

        probe.ExpectBroken("/api/messages/stream/");
        var resumeAnswer = page.WaitForResponseAsync(r => r.Url.EndsWith($"/api/sessions/{session}/stream", StringComparison.Ordinal));
        await page.ReloadAsync();
        var resumed = await resumeAnswer;
        Assert.Equal(200, resumed.Status);
        // Live again after the reload, with at least what was shown before it.
        await page.WaitForFunctionAsync(BothColumnsMidAnswer, before.Min(t => t.Length), Patiently);
        await page.WaitForFunctionAsync(AllColumnsSettled, 1, Patiently);

        var columns = page.Locator(".turn .reply");
        Assert.Equal(["success", "success"], await StatesAsync(columns));
        Assert.Equal(["Model A", "Model B"], await columns.Locator(".model").AllInnerTextsAsync());
        using var api = app.As("reloader");
        foreach (var (participant, index) in new[] { ("a", 0), ("b", 1) })
        {
            var stored = await StreamReplyTests.AssistantAsync(api, session, participant);
            Assert.Equal("success", stored.GetProperty("status").GetString());
            var shown = await columns.Nth(index).Locator(".markdown").InnerTextAsync();
            Assert.StartsWith(before[index], shown, StringComparison.Ordinal);
            Assert.Equal(stored.GetProperty("content").GetString(), shown);
        }

        // The resumed stream named no model: the battle stays anonymous until the vote, which is offered now.
        var body = await resumed.TextAsync();
        Assert.Contains("event: done", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"model\"", body, StringComparison.Ordinal);
        Assert.All(BrowserApp.MockModels, model => Assert.DoesNotContain(model.Key, body, StringComparison.Ordinal));
        await page.Locator("#vote").WaitForAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('arena.runningTurn')"));
        probe.AssertNoProblems();
    }

    private static async Task<Guid> CreateCompareAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/sessions", new { mode = "compare", model_a = "mock-swift", model_b = "mock-sage" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    /// Starts a resumable turn, reads its first event and leaves: the turn runs on without a client.
    private static async Task StartResumableTurnAsync(HttpClient client, Guid session, string prompt)
    {
        using var request = ResumeApp.ResumableRequest(session, prompt);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await SseEvent.ReadAsync(new StreamReader(await response.Content.ReadAsStreamAsync())));
    }

    /// A page that follows a turn with the browser's own EventSource and records what a client would: the text of each
    /// participant, every event id, how often the connection opened and failed, and on which connection `done` came.
    private static string EventSourcePage(string url) => new StringBuilder()
        .Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>EventSource resume</title></head><body><script>\n")
        .Append("window.resume = { texts: {}, ids: [], opens: 0, errors: 0, done: false, done_on_open: 0 };\n")
        .Append("const source = new EventSource(").Append(JsonSerializer.Serialize(url)).Append(");\n")
        .Append("""
            source.onopen = () => { resume.opens++; };
            // The stream's own `error` events share their name with the EventSource's connection errors.
            source.onerror = event => { if (!(event instanceof MessageEvent)) resume.errors++; };
            for (const kind of ['start', 'delta', 'reasoning', 'error', 'finish', 'done']) {
              source.addEventListener(kind, event => {
                if (!(event instanceof MessageEvent)) {
                  return;
                }
                resume.ids.push(Number(event.lastEventId));
                const data = JSON.parse(event.data);
                if (kind === 'delta') {
                  resume.texts[data.participant] = (resume.texts[data.participant] ?? '') + data.content;
                }
                if (kind === 'done') {
                  resume.done = true;
                  resume.done_on_open = resume.opens;
                  source.close();
                }
              });
            }
            """)
        .Append("\n</script></body></html>")
        .ToString();
}
