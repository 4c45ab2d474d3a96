using System.Net;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Arena.Tests.Telemetry;

/// The Host with models named for this class only (the OpenTelemetry SDK listens to every Host's "Arena.*" meters in the
/// process, so tests tell their points apart by model), an in-memory metrics exporter and a capture of its log.
/// <c>tel-alpha</c>, <c>tel-beta</c> (and <c>tel-only-a</c>, <c>tel-only-b</c>, which one test alone uses) stream 4 chunks 20 ms apart, <c>tel-failing</c> fails after 2 chunks,
/// <c>tel-slow</c> sends a chunk every 1.5 s, <c>tel-down</c> is an OpenAI model whose server does not answer.
public sealed class TelemetryApp : MessagingApp
{
    public const string Alpha = "tel-alpha";
    public const string Beta = "tel-beta";
    public const string Failing = "tel-failing";
    public const string Slowly = "tel-slow";
    public const string Unreachable = "tel-down";
    public const string OnlyA = "tel-only-a";
    public const string OnlyB = "tel-only-b";

    public List<MetricSnapshot> Exported { get; } = [];

    public CapturedLogs Logs { get; } = new();

    /// Collects every metric now, so that <see cref="Exported"/> holds the latest cumulative points; again, for up to ten
    /// seconds, until <paramref name="holds"/> says the points a test waits for are there. A flush that meets the
    /// periodic reader's own collection can come back with less than everything recorded.
    public async Task<IReadOnlyList<MetricSnapshot>> CollectAsync(Func<IReadOnlyList<MetricSnapshot>, bool>? holds = null)
    {
        var collected = await Eventually.SettleAsync(
            () =>
            {
                lock (Exported)
                {
                    Exported.Clear();
                }

                // False whatever the in-memory reader does: the Prometheus reader is pull-only and refuses to be flushed.
                Services.GetRequiredService<MeterProvider>().ForceFlush(10_000);
                lock (Exported)
                {
                    return Task.FromResult<IReadOnlyList<MetricSnapshot>>([.. Exported]);
                }
            },
            points => points.Count > 0 && (holds is null || holds(points)),
            TimeSpan.FromSeconds(10));
        Assert.NotEmpty(collected);
        return collected;
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Providers:tel-fast:Kind"] = "mock";
        settings["Arena:Providers:tel-fast:Mock:ChunkCount"] = $"{ChunkCount}";
        settings["Arena:Providers:tel-fast:Mock:ChunkInterval"] = "00:00:00.020";
        settings["Arena:Providers:tel-failing:Kind"] = "mock";
        settings["Arena:Providers:tel-failing:Mock:ChunkCount"] = $"{ChunkCount}";
        settings["Arena:Providers:tel-failing:Mock:ChunkInterval"] = "00:00:00.020";
        settings["Arena:Providers:tel-failing:Mock:FailAfterChunks"] = "2";
        settings["Arena:Providers:tel-slow:Kind"] = "mock";
        settings["Arena:Providers:tel-slow:Mock:ChunkCount"] = $"{ChunkCount}";
        settings["Arena:Providers:tel-slow:Mock:ChunkInterval"] = "00:00:01.500";
        settings[$"Arena:Models:{Alpha}:Provider"] = "tel-fast";
        settings[$"Arena:Models:{Beta}:Provider"] = "tel-fast";
        settings[$"Arena:Models:{OnlyA}:Provider"] = "tel-fast";
        settings[$"Arena:Models:{OnlyB}:Provider"] = "tel-fast";
        settings[$"Arena:Models:{Failing}:Provider"] = "tel-failing";
        settings[$"Arena:Models:{Slowly}:Provider"] = "tel-slow";
        settings[$"Arena:Models:{Unreachable}:Provider"] = "down";
        settings[$"Arena:Models:{Unreachable}:ProviderModel"] = "gpt-test";
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        Logs.AddTo(services);
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(Exported));
    }

    /// Direct and compare streams on both pipelines: successes, a compare whose second participant fails, a 409 for a
    /// second message while one streams, and a reply the client leaves, which ends cancelled.
    public async Task ServeRepresentativeStreamsAsync()
    {
        foreach (var pipeline in new[] { "streaming", "legacy" })
        {
            using var client = As($"telemetry-{pipeline}");
            var direct = await CreateSessionAsync(client, Alpha);
            var (ok, _) = await StreamAsync(client, direct, "Hello", pipeline: pipeline);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

            var compare = await CreateSessionAsync(client, Alpha, Beta);
            var (compared, _) = await StreamAsync(client, compare, "Compare these", pipeline: pipeline);
            Assert.Equal(HttpStatusCode.OK, compared.StatusCode);

            var failing = await CreateSessionAsync(client, Alpha, Failing);
            var (failed, failedBody) = await StreamAsync(client, failing, "One of you fails", pipeline: pipeline);
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
            Assert.Contains("\nb3:{\"error\":{\"code\":", failedBody, StringComparison.Ordinal);

            await LeaveSlowStreamAsync(pipeline);
        }
    }

    private async Task LeaveSlowStreamAsync(string pipeline)
    {
        using var client = Hasty($"telemetry-leave-{pipeline}");
        var session = await CreateSessionAsync(client, Slowly);
        using (var response = await client.SendAsync(StreamRequest(session, "Take your time", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.NotNull(await reader.ReadLineAsync());

            using var again = As($"telemetry-leave-{pipeline}");
            var conflict = await again.SendAsync(StreamRequest(session, "Me too", pipeline: pipeline));
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        }

        var reply = await StreamReplyTests.WaitForEndAsync(client, session, "a");
        Assert.Equal("cancelled", reply.GetProperty("status").GetString());
    }

    /// The value of one tag of a point, or null.
    public static string? Tag(MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
