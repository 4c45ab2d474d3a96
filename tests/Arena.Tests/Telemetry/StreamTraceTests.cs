using System.Diagnostics;
using System.Net;
using Arena.Tests.Modules.Messaging;

namespace Arena.Tests.Telemetry;

/// One trace per stream, as an operator finds it by the X-Trace-Id a user reports: the request, the gateway's routing
/// decision, the pipeline, each participant's provider call and the database commands, each under the one that caused it.
public sealed class StreamTraceTests(TracingApp app) : IClassFixture<TracingApp>
{
    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Trace_CompareStreamThroughGateway_LinksGatewayPipelineBothProviderCallsAndDatabaseUnderTheHeadersTraceId(string pipeline)
    {
        using var client = app.As($"trace-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast, MessagingApp.Fast2);

        var (response, _) = await MessagingApp.StreamAsync(client, session, "Compare", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var traceId = ActivityTraceId.CreateFromString(Assert.Single(response.Headers.GetValues("X-Trace-Id")));
        var spans = await app.Spans.TraceAsync(traceId, s => s.Any(IsServer) && s.Any(IsPipeline) && s.Count(IsProviderCall) == 2);
        var trace = SpanCapture.Describe(spans);

        var server = Assert.Single(spans, IsServer);
        // YARP's span around its proxy pipeline is the gateway's; the routing step adds its decision to it.
        var gateway = Assert.Single(spans, s => s.Source.Name == "Yarp.ReverseProxy");
        Assert.True(server.SpanId == gateway.ParentSpanId, trace);
        Assert.Equal(pipeline, gateway.GetTagItem("arena.gateway.pipeline"));
        Assert.Equal("override", gateway.GetTagItem("arena.gateway.reason"));

        var stream = Assert.Single(spans, IsPipeline);
        Assert.True(gateway.SpanId == stream.ParentSpanId, trace);
        Assert.Equal(pipeline, stream.GetTagItem("arena.pipeline"));
        Assert.Equal(session.ToString(), stream.GetTagItem("arena.session_id"));

        // One provider call per participant, each under its own participant's reply, on whatever thread ran it.
        var replies = spans.Where(s => s.Source.Name == "Arena.Messaging" && s.ParentSpanId == stream.SpanId).ToList();
        Assert.True(replies.Count == 2, trace);
        var calls = spans.Where(IsProviderCall).ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, call => Assert.StartsWith("chat ", call.DisplayName, StringComparison.Ordinal));
        Assert.Equal(
            replies.Select(r => r.SpanId.ToHexString()).Order(StringComparer.Ordinal),
            calls.Select(c => c.ParentSpanId.ToHexString()).Order(StringComparer.Ordinal));

        // The gate's reads and writes (the session, the new rows) and the participants' final writes, below the pipeline.
        var commands = spans.Where(s => s.Source.Name == "Npgsql").ToList();
        Assert.True(commands.Count(c => SpanCapture.Descends(c, stream, spans)) >= 4, trace);
        // Nothing hangs loose: every span but the test client's own lies below the request the server received.
        Assert.All(spans.Where(s => s != server && !SpanCapture.Descends(server, s, spans)), s => Assert.True(SpanCapture.Descends(s, server, spans), trace));
    }

    private static bool IsServer(Activity span) => span.Kind == ActivityKind.Server && span.Source.Name == "Microsoft.AspNetCore";

    private static bool IsPipeline(Activity span) => span.Source.Name == "Arena.Messaging" && span.DisplayName == "stream compare";

    private static bool IsProviderCall(Activity span) => span.Source.Name == "Arena.Providers";
}
