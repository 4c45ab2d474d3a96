using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Arena.Tests.Browser;

/// A fresh browser context and page on the Host, recording everything that would show up as an error in the browser's
/// console: console errors, uncaught exceptions, failed requests and HTTP errors the test did not announce.
public sealed class PageProbe : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly ConcurrentQueue<string> problems = new();
    private readonly ConcurrentDictionary<string, int> expectedStatuses = new();
    private readonly ConcurrentDictionary<string, byte> expectedBreaks = new();
    private readonly string screenshotFolder;

    private PageProbe(IBrowserContext context, IPage page, string screenshotFolder)
    {
        this.context = context;
        this.screenshotFolder = screenshotFolder;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning" && !IsExpected(message))
            {
                problems.Enqueue($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => problems.Enqueue($"uncaught: {error}");
        page.RequestFailed += (_, request) =>
        {
            if (!expectedBreaks.ContainsKey(new Uri(request.Url).AbsolutePath))
            {
                problems.Enqueue($"request failed: {request.Method} {request.Url} ({request.Failure})");
            }
        };
        page.Response += (_, response) =>
        {
            var key = $"{response.Status} {new Uri(response.Url).AbsolutePath}";
            if (response.Status >= 400 && !expectedStatuses.ContainsKey(key))
            {
                problems.Enqueue($"HTTP {key}");
            }
        };
    }

    public IPage Page { get; }

    // Chromium also reports every HTTP error answer in the console, as "Failed to load resource", located at its URL.
    // A connection the test breaks on purpose is reported the same way, with the network error instead of a status.
    private bool IsExpected(IConsoleMessage message) =>
        message.Text.StartsWith("Failed to load resource: net::", StringComparison.Ordinal)
            ? expectedBreaks.Keys.Any(path => message.Location.Contains(path, StringComparison.Ordinal))
            : message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)
        && expectedStatuses.Any(e => message.Text.Contains($"status of {e.Value} ", StringComparison.Ordinal)
            && message.Location.Contains(e.Key[(e.Key.IndexOf(' ', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal));

    public static async Task<PageProbe> OpenAsync(BrowserApp app, int width = 1280, int height = 860, Uri? baseAddress = null)
    {
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (baseAddress ?? app.BaseAddress).ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        return new PageProbe(context, page, app.ScreenshotFolder);
    }

    /// Announces an HTTP error the test provokes on purpose, e.g. <c>(404, "/api/messages/stream/")</c>.
    public void Expect(int status, string path) => expectedStatuses[$"{status} {path}"] = status;

    /// Announces a request the test breaks on purpose (a reload during a stream, a cut connection), by its path.
    public void ExpectBroken(string path) => expectedBreaks[path] = 0;

    public void AssertNoProblems() => Assert.True(problems.IsEmpty, string.Join(" | ", problems));

    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(screenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    public async ValueTask DisposeAsync() => await context.DisposeAsync();
}
