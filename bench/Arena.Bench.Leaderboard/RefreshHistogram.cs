using System.Globalization;

namespace Arena.Bench.Leaderboard;

/// One control's <c>arena.leaderboard.refresh.duration</c> as the Host's /metrics serves it (cumulative).
internal readonly record struct RefreshHistogram(long Count, double SumSeconds)
{
    private const string Name = "arena_leaderboard_refresh_duration_seconds";

    public static async Task<RefreshHistogram> ScrapeAsync(HttpClient http, Uri metrics, string control)
    {
        var text = await http.GetStringAsync(metrics);
        long count = 0;
        double sum = 0;
        var label = $"arena_leaderboard_control=\"{control}\"";
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(Name, StringComparison.Ordinal) || !line.Contains(label, StringComparison.Ordinal))
            {
                continue;
            }

            // "name{labels} value [timestamp]"
            var value = line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            if (line.StartsWith(Name + "_count{", StringComparison.Ordinal))
            {
                count = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith(Name + "_sum{", StringComparison.Ordinal))
            {
                sum = double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return new RefreshHistogram(count, sum);
    }
}
