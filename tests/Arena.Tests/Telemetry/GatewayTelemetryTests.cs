using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Arena.Tests.Host.Gateway;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Arena.Tests.Telemetry;

/// The gateway in front of two external destinations (fake servers): everything goes to streaming by share, probes run
/// every 200 ms and one failure takes a destination out; every span the Host exports is kept.
public sealed class GatewayTelemetryApp : GatewayApp
{
    public override int StreamingShare => 100;

    public SpanCapture Spans { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Gateway:HealthCheck:Interval"] = "00:00:00.200";
        settings["Arena:Gateway:HealthCheck:ConsecutiveFailures"] = "1";
    }

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(Spans));
}

/// The gateway's routing counter and span when YARP forwards over the network.
public sealed class GatewayTelemetryTests(GatewayTelemetryApp app) : IClassFixture<GatewayTelemetryApp>
{
    [Fact]
    public async Task Routing_EachReason_CountedWithItsPipelineAndReason()
    {
        using var routed = new RoutedRequests(app.Services.GetRequiredService<IMeterFactory>());
        using var client = app.As("gateway-reasons");

        await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid())));
        await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid()), pipelineOverride: "legacy"));
        await GatewayClient.SendAsync(client, GatewayClient.StreamRequest("""{"messages":[]}"""));
        app.Streaming.Healthy = false;
        try
        {
            await Eventually.EqualAsync("legacy", async () => (await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid())))).Echo.Destination);
        }
        finally
        {
            app.Streaming.Healthy = true;
        }

        Assert.True(routed.Count("streaming", "share") >= 1, routed.Describe());
        Assert.Equal(1, routed.Count("legacy", "override"));
        Assert.Equal(1, routed.Count("streaming", "random"));
        Assert.True(routed.Count("legacy", "failover") >= 1, routed.Describe());
        Assert.Equal(0, routed.Count("streaming", "failover"));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task TraceId_ForwardedToExternalDestination_HeaderNamesTheTraceTheDestinationJoined(string pipeline)
    {
        using var client = app.As($"gateway-trace-{pipeline}");

        var (response, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(GatewayClient.Body(Guid.NewGuid()), pipelineOverride: pipeline));

        Assert.Equal(pipeline, echo.Destination);
        var traceId = Assert.Single(response.Headers.GetValues("X-Trace-Id"));
        // W3C traceparent: version-traceid-parentid-flags.
        var traceparent = echo.Headers["traceparent"].Split('-');
        Assert.Equal(traceId, traceparent[1]);
        var spans = await app.Spans.TraceAsync(ActivityTraceId.CreateFromString(traceId), s => s.Any(IsGateway) && s.Any(s => s.SpanId.ToHexString() == traceparent[2]));
        var gateway = Assert.Single(spans, IsGateway);
        Assert.Equal(pipeline, gateway.GetTagItem("arena.gateway.pipeline"));
        Assert.Equal("override", gateway.GetTagItem("arena.gateway.reason"));
        // The hop the destination saw as its parent was made under the gateway's span.
        var hop = Assert.Single(spans, s => s.SpanId.ToHexString() == traceparent[2]);
        Assert.True(SpanCapture.Descends(hop, gateway, spans), SpanCapture.Describe(spans));
    }

    private static bool IsGateway(Activity span) => span.Source.Name == "Yarp.ReverseProxy";

    /// The gateway's counter of this Host only: its meters carry the Host's meter factory as their scope.
    private sealed class RoutedRequests : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<(string? Pipeline, string? Reason, long Value)> measurements = new();

        public RoutedRequests(IMeterFactory hostMeters)
        {
            listener.InstrumentPublished = (instrument, meters) =>
            {
                if (instrument.Meter.Name == "Arena.Gateway" && instrument.Name == "arena.gateway.requests" && ReferenceEquals(instrument.Meter.Scope, hostMeters))
                {
                    meters.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? pipeline = null, reason = null;
                foreach (var tag in tags)
                {
                    pipeline = tag.Key == "arena.gateway.pipeline" ? tag.Value as string : pipeline;
                    reason = tag.Key == "arena.gateway.reason" ? tag.Value as string : reason;
                }

                measurements.Enqueue((pipeline, reason, value));
            });
            listener.Start();
        }

        public long Count(string pipeline, string reason) => measurements.Where(m => m.Pipeline == pipeline && m.Reason == reason).Sum(m => m.Value);

        public string Describe() => string.Join(", ", measurements.Select(m => $"{m.Pipeline}/{m.Reason}"));

        public void Dispose() => listener.Dispose();
    }
}
