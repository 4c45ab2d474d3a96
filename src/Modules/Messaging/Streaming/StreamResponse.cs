using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Arena.Modules.Messaging.Streaming;

/// The response headers of a stream, the same for every pipeline but the one that names it.
internal static class StreamResponse
{
    public const string PipelineHeader = "X-Arena-Pipeline";

    public static void MarkPipeline(HttpContext context, string pipeline) => context.Response.Headers[PipelineHeader] = pipeline;

    public static void PrepareStream(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}
