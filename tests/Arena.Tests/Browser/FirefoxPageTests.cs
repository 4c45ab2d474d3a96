using System.Text.Json;
using Arena.Tests.Clients;
using Xunit.Abstractions;

namespace Arena.Tests.Browser;

/// The web page in Debian's Firefox ESR, driven by tests/clients/firefox-walk.mjs (puppeteer-core over WebDriver BiDi,
/// since Playwright cannot drive the system Firefox), on the slow mock models so that a reload lands mid-turn.
public sealed class FirefoxPageTests(SlowBrowserApp app, ITestOutputHelper output) : IClassFixture<SlowBrowserApp>
{
    private static readonly TimeSpan WalkPatience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Firefox_WholeWalk_BattleVoteLeaderboardHistoryCompareStopAndReloadWorkWithoutConsoleErrorsOrSeriousAxeViolations()
    {
        await using var node = NodeClient.Start("firefox-walk.mjs", new Dictionary<string, string>
        {
            ["ARENA_URL"] = app.BaseAddress.ToString(),
            ["ARENA_NAME"] = "firefox-walker",
        });
        var record = await node.ResultAsync(WalkPatience);
        output.WriteLine(record.GetRawText());
        Assert.True(record.GetProperty("error").ValueKind == JsonValueKind.Null, $"the walk stopped: {record.GetProperty("error")}; steps: {record.GetProperty("steps")}");
        var steps = record.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("step").GetString()!);

        Assert.Equal("firefox-walker", steps["signed-in"].GetProperty("account").GetString());
        Assert.Equal(["Model A", "Model B"], Strings(steps["battle-both-streaming"], "models"));
        var voted = steps["battle-voted"];
        Assert.Equal(["success", "success"], Strings(voted, "states"));
        Assert.Equal("Your vote counts toward the leaderboard.", voted.GetProperty("result").GetString());
        Assert.True(voted.GetProperty("live").GetBoolean(), "the vote's answer is in a live region");
        Assert.Equal([true, true], steps["battle-both-streaming"].GetProperty("status_live").EnumerateArray().Select(e => e.GetBoolean()));
        var focus = voted.GetProperty("focus_order");
        Assert.True(focus.GetProperty("in_order").GetBoolean(), $"Tab goes against the reading order: {focus.GetProperty("stops")}");
        Assert.True(focus.GetProperty("stops").GetArrayLength() >= 5, $"Tab reaches too little: {focus.GetProperty("stops")}");
        var revealed = voted.GetProperty("revealed").GetString()!;
        var names = Strings(voted, "models");
        Assert.Equal($"Model A was {names[0]}; Model B was {names[1]}.", revealed);
        Assert.All(names, n => Assert.Contains(n, BrowserApp.MockModels.Values));

        Assert.Equal(2, Strings(steps["leaderboard"], "rows").Length);
        Assert.Equal(2, Strings(steps["leaderboard-length"], "rows").Length);
        Assert.Contains("Battle", Assert.Single(Strings(steps["history"], "sessions")), StringComparison.Ordinal);

        Assert.True(steps.ContainsKey("compare-both-streaming"));
        Assert.Equal(["cancelled", "cancelled"], Strings(steps["compare-stopped"], "states"));
        Assert.Equal(["Cancelled", "Cancelled"], Strings(steps["compare-stopped"], "badges"));

        // Reached only once both columns were seen streaming again after the reload: the page follows the running turn.
        var before = Strings(steps["reload-following"], "before");
        var settled = steps["reload-settled"];
        Assert.Equal(["cancelled", "cancelled", "success", "success"], Strings(settled, "states"));
        var after = Strings(settled, "after");
        Assert.All(before.Zip(after), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));

        Assert.Empty(record.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        AxeAudit.AssertNoSeriousViolations(record.GetProperty("audits").EnumerateArray(), output);
    }

    private static string[] Strings(JsonElement step, string property) =>
        [.. step.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
}
