using System.Globalization;
using System.Net;
using Arena.Tests.Support;
using Arena.Tests.Telemetry;

namespace Arena.Tests.Modules.Votes;

/// The leaderboard's refresh duration as an operator's Prometheus reads it: from the Host's own /metrics scrape.
[Collection(ExportedMetricsCollection.Name)]
public sealed class LeaderboardMetricsTests(VotesApp app) : IClassFixture<VotesApp>
{
    private const string Count = "arena_leaderboard_refresh_duration_seconds_count";

    [Fact]
    public async Task RefreshDuration_LeaderboardsComputed_OnTheMetricsScrapePerControl()
    {
        using var lena = app.As("lena-leaderboard-metrics");
        var id = (await VotesApp.CreateBattleAsync(lena)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(lena, id, "Count me");
        Assert.True((await VotesApp.JsonAsync(await VotesApp.VoteAsync(lena, id, "b"))).GetProperty("counted").GetBoolean());
        foreach (var control in new[] { "none", "length" })
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    var response = await lena.GetAsync($"/api/leaderboard?control={control}");
                    return response.StatusCode == HttpStatusCode.OK && (await VotesApp.JsonAsync(response)).GetProperty("counted_votes").GetInt64() >= 1;
                },
                $"the {control} leaderboard never counted the vote",
                TimeSpan.FromSeconds(60));
        }

        using var scraper = app.Anonymous();
        var scrape = await scraper.GetStringAsync("/metrics");

        foreach (var control in new[] { "none", "length" })
        {
            Assert.True(Series(scrape, Count, control) >= 1, $"no {control} refresh counted in:\n{Excerpt(scrape)}");
            Assert.True(Series(scrape, "arena_leaderboard_refresh_duration_seconds_sum", control) > 0, $"no {control} refresh time in:\n{Excerpt(scrape)}");
        }

        // The instrument's own buckets, in seconds up to 10 minutes, not the SDK's default ones, meant for milliseconds.
        Assert.Contains("arena_leaderboard_refresh_duration_seconds_bucket{", scrape, StringComparison.Ordinal);
        Assert.Contains("le=\"600\"", Excerpt(scrape), StringComparison.Ordinal);
    }

    /// The value of the one sample of <paramref name="metric"/> tagged with <paramref name="control"/>.
    private static double Series(string scrape, string metric, string control)
    {
        var line = Assert.Single(
            scrape.Split('\n'),
            l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains($"arena_leaderboard_control=\"{control}\"", StringComparison.Ordinal));
        // A sample line is "name{labels} value [timestamp]".
        var fields = line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return double.Parse(fields[0], CultureInfo.InvariantCulture);
    }

    private static string Excerpt(string scrape) =>
        string.Join('\n', scrape.Split('\n').Where(l => l.Contains("arena_leaderboard", StringComparison.Ordinal)));
}
