using System.Globalization;
using System.Text.Json;
using Arena.Tests.Support;

namespace Arena.Tests.Telemetry;

/// The real Prometheus that scripts/prometheus.sh started: scrape targets are added as file_sd JSON files, queries go
/// through its HTTP API.
public sealed class PrometheusServer : IDisposable
{
    /// Several asks per scrape of the test server's Prometheus, so that a wait ends soon after the scrape it waits for.
    public static readonly TimeSpan AskInterval = TimeSpan.FromMilliseconds(250);

    private readonly HttpClient http = new() { BaseAddress = new Uri(Url ?? "http://127.0.0.1:9"), Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<string> targetFiles = [];

    public static string? Url => Environment.GetEnvironmentVariable("ARENA_TEST_PROMETHEUS_URL");

    private static string Targets => Environment.GetEnvironmentVariable("ARENA_TEST_PROMETHEUS_TARGETS")!;

    public static string Promtool => Environment.GetEnvironmentVariable("ARENA_TEST_PROMTOOL") ?? "promtool";

    /// Makes Prometheus scrape this address; returns the instance label its series carry.
    public string Scrape(Uri baseAddress)
    {
        var instance = $"{baseAddress.Host}:{baseAddress.Port}";
        var file = Path.Combine(Targets, $"arena-{Guid.NewGuid():N}.json");
        File.WriteAllText(file + ".tmp", $$"""[{ "targets": ["{{instance}}"] }]""");
        // Renamed into place, so that Prometheus never reads half a file.
        File.Move(file + ".tmp", file);
        targetFiles.Add(file);
        return instance;
    }

    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var response = await http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        var body = await response.Content.ReadAsStringAsync();
        var root = JsonDocument.Parse(body).RootElement;
        Assert.True(root.GetProperty("status").GetString() == "success", $"Prometheus refused {promql}: {body}");
        return root.GetProperty("data");
    }

    /// The value of a query that yields one number, or null while it yields nothing.
    public async Task<double?> ScalarAsync(string promql)
    {
        var result = (await QueryAsync(promql)).GetProperty("result");
        return result.GetArrayLength() == 0 ? null : Value(result[0]);
    }

    /// Asks again, at the scrape interval, until the condition holds; Prometheus has no way to push a change.
    public async Task WaitUntilAsync(string promql, Func<double, bool> condition, TimeSpan timeout)
    {
        var last = await Eventually.SettleAsync(() => ScalarAsync(promql), Holds, timeout, AskInterval);
        if (Holds(last))
        {
            return;
        }

        var targets = await http.GetStringAsync("/api/v1/targets");
        Assert.Fail($"{promql} was {last?.ToString(CultureInfo.InvariantCulture) ?? "empty"} after {timeout}. Targets: {targets}");

        bool Holds(double? value) => value is { } known && condition(known);
    }

    public async Task<JsonElement> RulesAsync()
    {
        var body = await http.GetStringAsync("/api/v1/rules");
        return JsonDocument.Parse(body).RootElement.GetProperty("data");
    }

    public static double Value(JsonElement sample) =>
        double.Parse(sample.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var file in targetFiles)
        {
            File.Delete(file);
        }

        http.Dispose();
    }
}
