using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

// Load harness: N chat streams through the public API of a running Arena, `concurrency` at a time, on one pipeline
// (forced with the X-Arena-Pipeline override header, which the gateway must allow). Reports client-side latency and,
// given the server's pid, its thread count and resident memory sampled every 100 ms from /proc.
var settings = BenchSettings.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency * 2 })
{
    BaseAddress = settings.Url,
    Timeout = TimeSpan.FromMinutes(10),
};
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);

var sessions = new List<Guid>(settings.Streams);
for (var i = 0; i < settings.Streams; i++)
{
    var created = await http.PostAsJsonAsync("/api/sessions", new Dictionary<string, object?>
    {
        ["mode"] = settings.Mode,
        ["model_a"] = settings.ModelA,
        ["model_b"] = settings.Mode == "compare" ? settings.ModelB : null,
        ["title"] = $"bench {i}",
    });
    created.EnsureSuccessStatusCode();
    sessions.Add((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
}

using var sampler = new ProcessSampler(settings.ServerPid);
var results = new StreamResult[settings.Streams];
var gate = new SemaphoreSlim(settings.Concurrency);
var wall = Stopwatch.StartNew();
await Task.WhenAll(sessions.Select(async (session, index) =>
{
    await gate.WaitAsync();
    try
    {
        results[index] = await RunStream(http, session, settings);
    }
    finally
    {
        gate.Release();
    }
}));
wall.Stop();
sampler.Stop();

var ok = results.Where(r => r.Ok).ToList();
Console.WriteLine($"pipeline={settings.Pipeline} mode={settings.Mode} protocol={settings.Protocol} streams={settings.Streams} concurrency={settings.Concurrency}");
Console.WriteLine($"completed={ok.Count} failed={results.Length - ok.Count} wall={wall.Elapsed.TotalSeconds:F2}s throughput={ok.Count / wall.Elapsed.TotalSeconds:F1} streams/s");
Console.WriteLine($"ttfb_ms p50={Percentile(ok.Select(r => r.FirstByte.TotalMilliseconds), 50):F0} p95={Percentile(ok.Select(r => r.FirstByte.TotalMilliseconds), 95):F0} p99={Percentile(ok.Select(r => r.FirstByte.TotalMilliseconds), 99):F0}");
Console.WriteLine($"total_ms p50={Percentile(ok.Select(r => r.Total.TotalMilliseconds), 50):F0} p95={Percentile(ok.Select(r => r.Total.TotalMilliseconds), 95):F0} p99={Percentile(ok.Select(r => r.Total.TotalMilliseconds), 99):F0}");
Console.WriteLine($"bytes_per_stream avg={(ok.Count == 0 ? 0 : ok.Average(r => r.Bytes)):F0}");
if (settings.ServerPid is not null)
{
    Console.WriteLine($"server threads start={sampler.FirstThreads} peak={sampler.PeakThreads}; rss_mb start={sampler.FirstRssKb / 1024.0:F0} peak={sampler.PeakRssKb / 1024.0:F0}");
}

return results.All(r => r.Ok) ? 0 : 1;

static async Task<StreamResult> RunStream(HttpClient http, Guid session, BenchSettings settings)
{
    var body = JsonSerializer.Serialize(new { session_id = session, messages = new[] { new { role = "user", content = settings.Prompt } } });
    using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/messages/stream/?protocol={settings.Protocol}")
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    };
    request.Headers.Add("X-Arena-Pipeline", settings.Pipeline);
    var started = Stopwatch.GetTimestamp();
    try
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode || response.Headers.TryGetValues("X-Arena-Pipeline", out var served) && !served.Contains(settings.Pipeline))
        {
            return StreamResult.Failed;
        }

        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[8192];
        var firstByte = TimeSpan.Zero;
        long bytes = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            if (bytes == 0)
            {
                firstByte = Stopwatch.GetElapsedTime(started);
            }

            bytes += read;
        }

        return new StreamResult(true, firstByte, Stopwatch.GetElapsedTime(started), bytes);
    }
    catch (HttpRequestException)
    {
        return StreamResult.Failed;
    }
}

static double Percentile(IEnumerable<double> values, int percentile)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal sealed record StreamResult(bool Ok, TimeSpan FirstByte, TimeSpan Total, long Bytes)
{
    public static readonly StreamResult Failed = new(false, TimeSpan.Zero, TimeSpan.Zero, 0);
}

internal sealed record BenchSettings(Uri Url, string Token, string Pipeline, string Mode, string Protocol, int Streams, int Concurrency, string ModelA, string ModelB, string Prompt, int? ServerPid)
{
    public static BenchSettings Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        string Get(string name, string fallback) => options.TryGetValue(name, out var value) ? value : fallback;
        var token = Get("token", Environment.GetEnvironmentVariable("ARENA_TOKEN") ?? "");
        if (token.Length == 0)
        {
            throw new ArgumentException("Pass --token or set ARENA_TOKEN (dotnet user-jwts create --project src/Host --output token).");
        }

        return new BenchSettings(
            new Uri(Get("url", "http://localhost:8001")),
            token,
            Get("pipeline", "streaming"),
            Get("mode", "compare"),
            Get("protocol", "data"),
            int.Parse(Get("streams", "200"), CultureInfo.InvariantCulture),
            int.Parse(Get("concurrency", "50"), CultureInfo.InvariantCulture),
            Get("model-a", "mock-swift"),
            Get("model-b", "mock-sage"),
            Get("prompt", "Compare the two pipelines in one paragraph."),
            options.TryGetValue("server-pid", out var pid) ? int.Parse(pid, CultureInfo.InvariantCulture) : null);
    }
}

// Samples /proc/PID/status (Threads, VmRSS) so the server's own cost is read from outside it.
internal sealed class ProcessSampler : IDisposable
{
    private readonly Timer? timer;
    private readonly string? statusPath;

    public ProcessSampler(int? pid)
    {
        if (pid is null)
        {
            return;
        }

        statusPath = $"/proc/{pid}/status";
        Sample();
        FirstThreads = PeakThreads;
        FirstRssKb = PeakRssKb;
        timer = new Timer(_ => Sample(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public int FirstThreads { get; }

    public long FirstRssKb { get; }

    public int PeakThreads { get; private set; }

    public long PeakRssKb { get; private set; }

    public void Stop() => timer?.Change(Timeout.Infinite, Timeout.Infinite);

    public void Dispose() => timer?.Dispose();

    private void Sample()
    {
        foreach (var line in File.ReadLines(statusPath!))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                PeakThreads = Math.Max(PeakThreads, int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                PeakRssKb = Math.Max(PeakRssKb, long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            }
        }
    }
}
