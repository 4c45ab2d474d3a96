using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The async pipeline's endpoint: the shared gate, then the Mediator stream request of the session's mode, each event
/// written and flushed as it arrives. It carries the public description of the stream route, which both pipelines answer.
/// Every turn is kept in <see cref="LiveTurns"/>, so that it can be stopped and followed from other requests; a resumable
/// turn runs detached from this request, which then only follows it like any resume.
internal static class StreamReplyEndpoint
{
    public const string Pipeline = "streaming";

    public const string Name = "StreamMessage";

    public static RouteHandlerBuilder Map(IEndpointRouteBuilder routes) =>
        StreamReplyDescription.Describe(StreamReplyDescription.DispatchOnly(routes.MapPost(StreamReplyDescription.Pattern, HandleAsync).WithName(Name)));

    private static async Task HandleAsync(HttpContext context, StreamGate gate, IMediator mediator, StreamTelemetry telemetry, LiveTurns turns, TurnFollower follower)
    {
        StreamResponse.MarkPipeline(context, Pipeline);
        var cancellationToken = context.RequestAborted;
        using var trace = telemetry.Begin(Pipeline, cancellationToken);
        var opening = await gate.OpenAsync(context, trace, cancellationToken, resumable: true);
        if (opening.Stream is not { } stream)
        {
            await opening.Problem!.ExecuteAsync(context);
            return;
        }

        StreamResponse.PrepareStream(context);
        IStreamQuery<StreamEvent> request = stream.IsCompare ? new StreamCompareReply(stream) : new StreamDirectReply(stream);
        var turn = turns.Begin(stream);
        if (stream.Resumable)
        {
            turns.RunDetached(turn, request);
            await follower.FollowAsync(context, turn, stream.Protocol, 0, cancellationToken);
            trace.Completed();
            return;
        }

        var writer = StreamWireWriter.For(stream.Protocol);
        var body = context.Response.BodyWriter;
        var headersSent = false;
        var stopped = false;
        using var running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, turn.Token);
        try
        {
            // Enumerating always starts the participants, even if the client is already gone: they settle the rows.
            await foreach (var streamEvent in mediator.CreateStream(request, running.Token))
            {
                turn.Append(streamEvent);
                if (writer.Write(streamEvent, body) || !headersSent)
                {
                    headersSent = true;
                    await body.FlushAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (running.IsCancellationRequested)
        {
            // The client went away or the turn was stopped; the participants saved their partial replies as cancelled.
            stopped = !cancellationToken.IsCancellationRequested;
        }
        catch
        {
            turns.Complete(turn);
            throw;
        }

        var closing = turn.Close();
        try
        {
            if (stopped)
            {
                // A stopped or shut-down turn still ends properly for the client that started it: each unfinished
                // participant's error.
                for (var i = turn.Count - closing; i < turn.Count; i++)
                {
                    writer.Write(turn[i], body);
                }
            }

            if (writer.WriteEnd(body) || stopped)
            {
                await body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            turns.Complete(turn);
        }

        trace.Completed();
    }
}
