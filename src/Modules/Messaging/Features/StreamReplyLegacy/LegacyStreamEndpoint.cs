using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Messaging.Features.StreamReplyLegacy;

/// The legacy pipeline's endpoint: the same admission as the streaming pipeline (which takes a slot of the legacy pool
/// once the session has admitted the turn), then the turn's runner on threads of its own, and this request a follower
/// that writes with blocking calls on a request thread of its own, as a thread-per-request server runs it. Its blocking
/// waits then never hold a thread-pool thread, which the gateway, the streaming pipeline and the health probes share: a
/// full legacy pool answers 503 instead of starving them.
internal static class LegacyStreamEndpoint
{
    public const string Pipeline = "legacy";

    public const string Name = "StreamMessageLegacy";

    /// The same public route and contract as the streaming pipeline's, described once there.
    public static RouteHandlerBuilder Map(IEndpointRouteBuilder routes) =>
        StreamReplyDescription.DispatchOnly(routes.MapPost(StreamReplyDescription.Pattern, HandleAsync).WithName(Name)).ExcludeFromDescription();

    private static async Task HandleAsync(HttpContext context, TurnAdmission admission, TurnRunner runner, TurnFollower follower, LegacyCapacity capacity, StreamTelemetry telemetry, LiveTurns turns)
    {
        StreamResponse.MarkPipeline(context, Pipeline);
        using var trace = telemetry.Begin(Pipeline, context.RequestAborted);
        try
        {
            var opening = await admission.OpenAsync(context, trace, context.RequestAborted, reserve: () =>
                capacity.TryEnter(context) ? null : StreamProblems.Unavailable(context, "The legacy pipeline is at capacity.", "Nothing was stored; send the message again shortly."));
            if (opening.Repeat is { } repeat)
            {
                await TurnKeys.AnswerAsync(context, repeat, context.RequestAborted);
                return;
            }

            if (opening.Stream is not { } stream)
            {
                await opening.Problem!.ExecuteAsync(context);
                return;
            }

            StreamResponse.PrepareStream(context);
            // The legacy model writes with blocking calls; Kestrel forbids them unless a response opts in, and only this one does.
            context.Features.GetRequiredFeature<IHttpBodyControlFeature>().AllowSynchronousIO = true;
            var turn = turns.Begin(stream);
            runner.StartBlocking(turn, stream);
            await Task.Factory.StartNew(() => follower.Follow(context, turn, stream.Protocol, context.RequestAborted, stopsOnLeave: true), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            // The pool's slot is the turn's: it is given back once the rows are settled, as when the request joined its
            // participants' threads.
            await turn.Ended;
            trace.Completed();
        }
        finally
        {
            capacity.Leave(context);
        }
    }
}
