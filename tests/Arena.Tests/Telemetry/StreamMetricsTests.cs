using System.Net;
using Arena.Tests.Modules.Messaging;
using OpenTelemetry.Metrics;

namespace Arena.Tests.Telemetry;

/// The pipelines' metrics as the OpenTelemetry SDK exports them (the same points /metrics serves), through an in-memory
/// exporter on the real Host.
[Collection(ExportedMetricsCollection.Name)]
public sealed class StreamMetricsTests(TelemetryApp app) : IClassFixture<TelemetryApp>
{
    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task TimeToFirstChunk_CompareStream_OnePointPerParticipantTaggedWithPipelineAndModel(string pipeline)
    {
        using var client = app.As($"ttft-{pipeline}");
        var session = await app.CreateSessionAsync(client, TelemetryApp.OnlyA, TelemetryApp.OnlyB);

        var (response, _) = await MessagingApp.StreamAsync(client, session, "Compare", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        bool Ours(MetricPoint p) => TelemetryApp.Tag(p, "arena.pipeline") == pipeline && TelemetryApp.Tag(p, "arena.model") is TelemetryApp.OnlyA or TelemetryApp.OnlyB;
        var points = Points(await app.CollectAsync(m => Points(m, "arena.stream.time_to_first_chunk").Count(Ours) >= 2), "arena.stream.time_to_first_chunk").Where(Ours).ToList();
        Assert.Equal(2, points.Count);
        var a = Assert.Single(points, p => TelemetryApp.Tag(p, "arena.participant") == "a");
        var b = Assert.Single(points, p => TelemetryApp.Tag(p, "arena.participant") == "b");
        Assert.Equal(TelemetryApp.OnlyA, TelemetryApp.Tag(a, "arena.model"));
        Assert.Equal(TelemetryApp.OnlyB, TelemetryApp.Tag(b, "arena.model"));
        foreach (var point in points)
        {
            Assert.Equal(1, point.GetHistogramCount());
            Assert.Equal("compare", TelemetryApp.Tag(point, "arena.session_mode"));
            // The view's buckets, from 5 ms to 10 minutes, not the SDK's default ones.
            var bounds = new List<double>();
            foreach (var bucket in point.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
            }

            Assert.Equal(0.005, bounds[0]);
            Assert.Equal(600, bounds[^2]);
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Replies_UpstreamFailure_CountsErrorWithItsCode(string pipeline)
    {
        using var client = app.As($"down-{pipeline}");
        var session = await app.CreateSessionAsync(client, TelemetryApp.Unreachable);

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Anyone there?", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        bool Ours(MetricPoint p) => TelemetryApp.Tag(p, "arena.pipeline") == pipeline && TelemetryApp.Tag(p, "arena.model") == TelemetryApp.Unreachable;
        var replies = Points(await app.CollectAsync(m => Points(m, "arena.stream.replies").Any(Ours)), "arena.stream.replies").Where(Ours).ToList();
        var error = Assert.Single(replies);
        Assert.Equal(1, error.GetSumLong());
        Assert.Equal("error", TelemetryApp.Tag(error, "arena.status"));
        var code = TelemetryApp.Tag(error, "error.type");
        Assert.False(string.IsNullOrEmpty(code));
        Assert.Contains($"\"code\":\"{code}\"", body, StringComparison.Ordinal);
        Assert.Equal("a", TelemetryApp.Tag(error, "arena.participant"));
    }

    private static IEnumerable<MetricPoint> Points(IReadOnlyList<MetricSnapshot> snapshots, string name) =>
        snapshots.Where(m => m.Name == name).SelectMany(m => m.MetricPoints);
}
