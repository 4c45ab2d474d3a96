using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Arena.Host.Gateway;

/// The step of the proxy pipeline that picks the one destination a stream request goes to.
internal sealed class GatewayRouting(IOptionsMonitor<GatewayOptions> options, GatewayTelemetry telemetry, ILogger<GatewayRouting> logger)
{
    // Read at startup, so that invalid configuration fails the start; later typos fall back to it.
    private GatewayOptions lastGood = options.CurrentValue;

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.Route.Config.RouteId != GatewayProxyConfigProvider.RouteId)
        {
            await next();
            return;
        }

        var settings = Current();

        // Server-sent events must reach the client as the pipeline writes them.
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var (pipeline, reason) = await ChooseAsync(context, settings);
        var destination = Find(proxy.AllDestinations, pipeline);
        if (reason != RoutingReason.Override && !IsUsable(destination) && Find(proxy.AllDestinations, Pipelines.Other(pipeline)) is { } other && IsUsable(other))
        {
            (pipeline, reason, destination) = (other.DestinationId, RoutingReason.Failover, other);
        }

        var decision = new GatewayDecision(pipeline, reason);
        context.Features.Set(decision);
        telemetry.Record(decision);
        // With nothing available the forwarder answers 503 itself; when both sides are unhealthy the chosen one still gets the request.
        proxy.AvailableDestinations = destination is null ? [] : [destination];
        await next();
    }

    private GatewayOptions Current()
    {
        try
        {
            return lastGood = options.CurrentValue;
        }
        catch (InvalidOperationException exception)
        {
            logger.LogError(exception, "Invalid {Section} configuration; routing with the last valid one", GatewayOptions.Section);
            return lastGood;
        }
    }

    private static async Task<(string Pipeline, string Reason)> ChooseAsync(HttpContext context, GatewayOptions settings)
    {
        if (settings.AllowOverrideHeader && Pipelines.Parse(context.Request.Headers[Pipelines.Header]) is { } requested)
        {
            return (requested, RoutingReason.Override);
        }

        var facts = await StreamBodyScan.TryReadAsync(context.Request, ScanLimit(context, settings), context.RequestAborted);
        if (facts.Resumable)
        {
            return (Pipelines.Streaming, RoutingReason.Resumable);
        }

        return facts.SessionId is { } id
            ? (RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), settings.StreamingShare), RoutingReason.Share)
            : (RoutingPolicy.PipelineFor(Random.Shared.Next(RoutingPolicy.Places), settings.StreamingShare), RoutingReason.Random);
    }

    /// Reading past the server's own body limit would fail the request here instead of in the pipeline, which answers 413 itself.
    private static long ScanLimit(HttpContext context, GatewayOptions settings) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } serverLimit
            ? Math.Min(serverLimit, settings.SessionIdScanLimit)
            : settings.SessionIdScanLimit;

    private static DestinationState? Find(IReadOnlyList<DestinationState> destinations, string pipeline) =>
        destinations.FirstOrDefault(d => string.Equals(d.DestinationId, pipeline, StringComparison.OrdinalIgnoreCase));

    private static bool IsUsable(DestinationState? destination) =>
        destination is not null && destination.Health.Active != DestinationHealth.Unhealthy;
}
