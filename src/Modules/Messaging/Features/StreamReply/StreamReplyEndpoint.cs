using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The async pipeline's endpoint: the admission shared with legacy, then the turn's runner, detached, and this request
/// one more follower of the turn, with the others. It carries the public description of the stream route, which both
/// pipelines answer.
internal static class StreamReplyEndpoint
{
    public const string Pipeline = "streaming";

    public const string Name = "StreamMessage";

    public static RouteHandlerBuilder Map(IEndpointRouteBuilder routes) =>
        StreamReplyDescription.Describe(StreamReplyDescription.DispatchOnly(routes.MapPost(StreamReplyDescription.Pattern, HandleAsync).WithName(Name)));

    private static async Task HandleAsync(HttpContext context, TurnAdmission admission, StreamTelemetry telemetry, LiveTurns turns, TurnRunner runner, TurnFollower follower)
    {
        StreamResponse.MarkPipeline(context, Pipeline);
        var cancellationToken = context.RequestAborted;
        using var trace = telemetry.Begin(Pipeline, cancellationToken);
        var opening = await admission.OpenAsync(context, trace, cancellationToken, resumable: true);
        if (opening.Repeat is { } repeat)
        {
            await TurnKeys.AnswerAsync(context, repeat, cancellationToken);
            return;
        }

        if (opening.Stream is not { } stream)
        {
            await opening.Problem!.ExecuteAsync(context);
            return;
        }

        StreamResponse.PrepareStream(context);
        var turn = turns.Begin(stream);
        runner.Start(turn, stream);
        await follower.FollowAsync(context, turn, stream.Protocol, 0, cancellationToken, stopsOnLeave: !stream.Resumable);
        trace.Completed();
    }
}
