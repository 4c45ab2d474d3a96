using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Arena.Tests.Support;

namespace Arena.Tests.Telemetry;

/// The dashboard and the alerting rules in deploy/ against a real Prometheus scraping a real Arena: every expression they
/// hold must return data of the shape its panel or rule expects, so that the dashboards and the code cannot drift apart.
[Collection(ExportedMetricsCollection.Name)]
public sealed partial class PrometheusDashboardTests(TelemetryApp app) : IClassFixture<TelemetryApp>
{
    // Grafana's $__rate_interval, fixed: wide enough to hold both rounds of streams below.
    private const string RateInterval = "5m";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly HashSet<string> LabelNames = ["arena_pipeline", "arena_status", "arena_model", "arena_participant"];

    [PrometheusFact]
    public async Task DashboardAndAlertingRules_AfterStreamsOnBothPipelines_EveryExpressionReturnsData()
    {
        using var prometheus = new PrometheusServer();
        var instance = prometheus.Scrape(app.BaseAddress);
        var self = $"instance=\"{instance}\"";
        await prometheus.WaitUntilAsync($"up{{{self}}}", up => up == 1, Patience);

        // Two rounds, each seen by a scrape: a counter's rate needs two samples of a series, and a series is born on
        // the scrape after its first point.
        var replies = $"sum(arena_stream_replies_total{{{self},arena_model=~\"tel-.*\"}})";
        await app.ServeRepresentativeStreamsAsync();
        await prometheus.WaitUntilAsync(replies, total => total >= 12, Patience);
        await app.ServeRepresentativeStreamsAsync();
        await prometheus.WaitUntilAsync(replies, total => total >= 24, Patience);
        await prometheus.WaitUntilAsync($"count(arena_health_ready{{{self}}})", count => count >= 1, Patience);

        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Checkout.Root, "deploy/grafana/dashboards/arena-migration.json"))).RootElement;
        var checkedTargets = 0;
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expression = target.GetProperty("expr").GetString()!.Replace("$__rate_interval", RateInterval, StringComparison.Ordinal);
                var legend = target.GetProperty("legendFormat").GetString()!;
                await AssertDataAsync(prometheus, $"panel \"{panel.GetProperty("title").GetString()}\"", expression, LegendLabels(legend));
                checkedTargets++;
            }
        }

        Assert.True(checkedTargets >= 20, $"Only {checkedTargets} dashboard queries.");

        // The rules as Prometheus loaded them from deploy/prometheus/rules.yml: each evaluated without error by now.
        var loaded = await WaitForEvaluatedRulesAsync(prometheus);
        foreach (var rule in loaded)
        {
            var name = rule.GetProperty("name").GetString()!;
            var expression = rule.GetProperty("query").GetString()!;
            Assert.True(rule.GetProperty("health").GetString() == "ok", $"Rule {name}: {(rule.TryGetProperty("lastError", out var error) ? error : default)}");
            if (rule.GetProperty("type").GetString() == "recording")
            {
                await AssertDataAsync(prometheus, $"rule {name}", expression, ["arena_pipeline"]);
            }
            else
            {
                // A healthy run fires no alert, so the alert's own result is empty; what must exist is each series it reads.
                var result = await prometheus.QueryAsync(expression);
                Assert.Equal("vector", result.GetProperty("resultType").GetString());
                foreach (var series in SeriesNames().Matches(expression).Select(m => m.Value).Where(s => !LabelNames.Contains(s)).Distinct())
                {
                    var count = await prometheus.ScalarAsync($"count({series})");
                    Assert.True(count > 0, $"Alert {name} reads {series}, which has no data.");
                }

                Assert.NotEqual("firing", rule.GetProperty("state").GetString());
            }
        }

        Assert.Equal(3, loaded.Count(r => r.GetProperty("type").GetString() == "recording"));
        Assert.Equal(4, loaded.Count(r => r.GetProperty("type").GetString() == "alerting"));
    }

    [PrometheusFact]
    public async Task AlertingRules_Promtool_AcceptsThem()
    {
        var start = new ProcessStartInfo(PrometheusServer.Promtool, ["check", "rules", Path.Combine(Checkout.Root, "deploy/prometheus/rules.yml")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var promtool = Process.Start(start)!;
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0, output);
        Assert.Contains("SUCCESS: 7 rules found", output, StringComparison.Ordinal);
    }

    /// Non-empty, every value a number, every label the legend names present, and where the legend splits by pipeline,
    /// both pipelines there side by side.
    private static async Task AssertDataAsync(PrometheusServer prometheus, string what, string expression, IReadOnlyList<string> labels)
    {
        var data = await prometheus.QueryAsync(expression);
        Assert.Equal("vector", data.GetProperty("resultType").GetString());
        var series = data.GetProperty("result").EnumerateArray().ToList();
        Assert.True(series.Count > 0, $"{what}: no data for {expression}");
        foreach (var sample in series)
        {
            var value = PrometheusServer.Value(sample);
            Assert.True(double.IsFinite(value), $"{what}: {value} in {sample} for {expression}");
            foreach (var label in labels)
            {
                Assert.True(sample.GetProperty("metric").TryGetProperty(label, out _), $"{what}: no label {label} in {sample} for {expression}");
            }
        }

        foreach (var pipelineLabel in labels.Where(l => l is "arena_pipeline" or "arena_gateway_pipeline"))
        {
            var pipelines = series.Select(s => s.GetProperty("metric").GetProperty(pipelineLabel).GetString()).ToHashSet();
            Assert.True(pipelines.Contains("streaming") && pipelines.Contains("legacy"), $"{what}: {string.Join(", ", pipelines)} for {expression}");
        }
    }

    // Recording rules evaluated after the second round hold both pipelines; before that they may not.
    private static Task<List<JsonElement>> WaitForEvaluatedRulesAsync(PrometheusServer prometheus) =>
        Eventually.SettleAsync(
            async () => (await prometheus.RulesAsync()).GetProperty("groups").EnumerateArray()
                .Where(g => g.GetProperty("file").GetString()!.EndsWith("deploy/prometheus/rules.yml", StringComparison.Ordinal))
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .ToList(),
            rules => rules.Count > 0 && rules.All(r => r.GetProperty("health").GetString() != "unknown"),
            Patience,
            PrometheusServer.AskInterval);

    private static string[] LegendLabels(string legend) => [.. LegendLabel().Matches(legend).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"\{\{\s*(\w+)\s*\}\}")]
    private static partial Regex LegendLabel();

    // Recorded series (arena:...) and raw metrics, not functions or label names.
    [GeneratedRegex(@"\b(?:arena:[a-z0-9_:]+|arena_[a-z0-9_]+(?=[{\[\s)])|up(?=\{))")]
    private static partial Regex SeriesNames();
}
