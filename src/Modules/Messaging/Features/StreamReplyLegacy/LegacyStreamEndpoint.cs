using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Messaging.Features.StreamReplyLegacy;

/// The legacy pipeline's endpoint: the same gate as the streaming pipeline, then the blocking pump on the request thread.
internal static class LegacyStreamEndpoint
{
    public const string Pipeline = "legacy";

    public static RouteHandlerBuilder Map(IEndpointRouteBuilder routes, string pattern) =>
        routes.MapPost(pattern, HandleAsync).ExcludeFromDescription();

    private static async Task HandleAsync(HttpContext context, StreamGate gate, LegacyPump pump, StreamTelemetry telemetry)
    {
        StreamResponse.MarkPipeline(context, Pipeline);
        using var trace = telemetry.Begin(Pipeline, context.RequestAborted);
        var opening = await gate.OpenAsync(context, trace, context.RequestAborted);
        if (opening.Stream is not { } stream)
        {
            await opening.Problem!.ExecuteAsync(context);
            return;
        }

        StreamResponse.PrepareStream(context);
        // The legacy model writes with blocking calls; Kestrel forbids them unless a response opts in, and only this one does.
        context.Features.GetRequiredFeature<IHttpBodyControlFeature>().AllowSynchronousIO = true;
        pump.Run(context, stream);
        trace.Completed();
    }
}
