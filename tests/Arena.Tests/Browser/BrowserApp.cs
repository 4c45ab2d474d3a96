using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;
using Microsoft.Playwright;

namespace Arena.Tests.Browser;

/// The Host in Development (so people sign in by name) with slow mock models, two models on a fake OpenAI-compatible
/// upstream, and one headless Chromium (Debian's) driven by Playwright for the whole class.
public class BrowserApp : ArenaApp, IAsyncLifetime
{
    public const string FakeModel = "fake-gpt";
    public const string LimitedModel = "fake-limited";
    public const string FakeModelName = "Fake GPT";
    public const string LimitedModelName = "Fake Limited";

    /// The catalog's mock models (appsettings.json) by id, with their display names: the models a battle draws from.
    public static readonly IReadOnlyDictionary<string, string> MockModels = new Dictionary<string, string>
    {
        ["mock-swift"] = "Mock Swift",
        ["mock-sage"] = "Mock Sage",
        ["mock-echo"] = "Mock Echo",
    };

    private static readonly string ChromiumPath = Environment.GetEnvironmentVariable("ARENA_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? playwright;

    public FakeUpstream Upstream { get; } = FakeUpstream.Start();

    public IBrowser Browser { get; private set; } = null!;

    /// Where screenshots go: ARENA_SCREENSHOTS (scripts/test.sh sets it and prints it), else beside the test assembly.
    public string ScreenshotFolder { get; } = Environment.GetEnvironmentVariable("ARENA_SCREENSHOTS") is { Length: > 0 } folder
        ? folder
        : Path.Combine(AppContext.BaseDirectory, "browser-screenshots");

    protected override string EnvironmentName => "Development";

    public new async Task InitializeAsync()
    {
        var library = Path.Combine(Checkout.Root, "src", "Host", "wwwroot", "lib", "markdown-it", "markdown-it.esm.min.mjs");
        if (!File.Exists(library))
        {
            throw new InvalidOperationException($"The web page's libraries are not installed ({library}): run ./scripts/web-assets.sh, or ./scripts/test.sh which runs it.");
        }

        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"No Chromium at {ChromiumPath}: run ./scripts/test.sh (it installs Debian's chromium) or set ARENA_CHROMIUM.");
        }

        Directory.CreateDirectory(ScreenshotFolder);
        await base.InitializeAsync();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    public new async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        // Slow enough that both columns are visibly mid-answer for seconds, quick enough for the suite.
        settings["Arena:Providers:mock:Mock:ChunkCount"] = "24";
        settings["Arena:Providers:mock:Mock:ChunkInterval"] = "00:00:00.120";
        settings["Arena:Providers:fake:Kind"] = "openai";
        settings["Arena:Providers:fake:BaseUrl"] = Upstream.OpenAIBaseUrl.ToString();
        settings["Arena:Providers:fake:ApiKey"] = "sk-browser-tests";
        settings["Arena:Providers:fake:MaxRetries"] = "0";
        settings[$"Arena:Models:{FakeModel}:DisplayName"] = FakeModelName;
        settings[$"Arena:Models:{FakeModel}:Provider"] = "fake";
        settings[$"Arena:Models:{FakeModel}:ProviderModel"] = "gpt-test";
        settings[$"Arena:Models:{LimitedModel}:DisplayName"] = LimitedModelName;
        settings[$"Arena:Models:{LimitedModel}:Provider"] = "fake";
        settings[$"Arena:Models:{LimitedModel}:ProviderModel"] = "gpt-limited";
        // Battles draw only the mock models, which answer on their own, not the fake upstream's queued replies.
        settings[$"Arena:Models:{FakeModel}:BattleWeight"] = "0";
        settings[$"Arena:Models:{LimitedModel}:BattleWeight"] = "0";

        // The mocks introduce themselves by id, which voids a battle's vote as an identity leak; words no reply
        // contains let a battle's vote count, and a vote cast as soon as the answers end is not "too fast".
        foreach (var mock in MockModels.Keys)
        {
            settings[$"Arena:Models:{mock}:IdentityWords:0"] = "Quokka";
        }

        // The page's turns are resumable, which only the streaming pipeline runs (on legacy the page falls back to
        // ordinary turns, and a reload could not resume them).
        settings["Arena:Gateway:StreamingShare"] = "100";
        settings["Arena:Battles:MinReadingTime"] = "00:00:00";
        settings["Arena:Leaderboard:RefreshInterval"] = "00:00:00.250";

        // The real providers stay out of the catalog even where the machine has keys.
        settings["Arena:Providers:openai:ApiKeyEnvironmentVariable"] = "";
        settings["Arena:Providers:anthropic:ApiKeyEnvironmentVariable"] = "";
    }
}
