using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The async pipeline's endpoint: the shared gate, then the Mediator stream request of the session's mode, each event
/// written and flushed as it arrives. It carries the public description of the stream route, which both pipelines answer.
internal static class StreamReplyEndpoint
{
    public const string Pipeline = "streaming";

    public const string Name = "StreamMessage";

    public static RouteHandlerBuilder Map(IEndpointRouteBuilder routes) =>
        StreamReplyDescription.Describe(StreamReplyDescription.DispatchOnly(routes.MapPost(StreamReplyDescription.Pattern, HandleAsync).WithName(Name)));

    private static async Task HandleAsync(HttpContext context, StreamGate gate, IMediator mediator, StreamTelemetry telemetry)
    {
        StreamResponse.MarkPipeline(context, Pipeline);
        var cancellationToken = context.RequestAborted;
        using var trace = telemetry.Begin(Pipeline, cancellationToken);
        var opening = await gate.OpenAsync(context, trace, cancellationToken);
        if (opening.Stream is not { } stream)
        {
            await opening.Problem!.ExecuteAsync(context);
            return;
        }

        StreamResponse.PrepareStream(context);
        var writer = StreamWireWriter.For(stream.Protocol);
        var body = context.Response.BodyWriter;
        IStreamQuery<StreamEvent> request = stream.IsCompare ? new StreamCompareReply(stream) : new StreamDirectReply(stream);
        var headersSent = false;
        try
        {
            // Enumerating always starts the participants, even if the client is already gone: they settle the rows.
            await foreach (var streamEvent in mediator.CreateStream(request, cancellationToken))
            {
                if (writer.Write(streamEvent, body) || !headersSent)
                {
                    headersSent = true;
                    await body.FlushAsync(cancellationToken);
                }
            }

            if (writer.WriteEnd(body))
            {
                await body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the participants saved their partial replies as cancelled.
        }

        trace.Completed();
    }
}
