using System.Globalization;
using System.Security.Claims;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.ResumeStream;

/// <c>GET /sessions/{id}/stream</c>: the session's last turn as a stream, after the position a client already has.
/// Served from this instance's memory when it holds the turn (live, or ended within the retention window); forwarded to
/// the instance that generates it when that is another one; replayed from the stored rows when the turn ended and no
/// instance holds its events any more; 204 when there is nothing to resume.
internal static class ResumeStreamEndpoint
{
    public const string LastEventIdHeader = "Last-Event-ID";

    public const string LastEventIdQuery = "last_event_id";

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/sessions/{id:guid}/stream", HandleAsync)
            .WithTags("Messages")
            .WithName("ResumeStream")
            .WithSummary("Follows the session's last turn: replays every event after Last-Event-ID, then continues live until the turn ends.")
            .WithDescription("An EventSource pointed at this URL resumes by itself. 204 when no turn is streaming and none ended within the retention window. "
                + "protocol=data resumes the data protocol, where the position is the number of lines already read.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task HandleAsync(Guid id, HttpContext context, ClaimsPrincipal user, IMediator mediator, LiveTurns turns, TurnFollower follower, MessageRows rows, TurnForwarder forwarder, TimeProvider clock, IOptions<MessagingOptions> options)
    {
        var cancellationToken = context.RequestAborted;
        var request = context.Request;
        if (StreamRequestReader.ReadProtocol(request.Query["protocol"], request.Headers[StreamRequestReader.ProtocolHeader], StreamProtocol.Sse, out var invalid) is not { } protocol)
        {
            await invalid!.ExecuteAsync(context);
            return;
        }

        // The query wins: a client that put it there meant it, and an EventSource adds the header on its own reconnects.
        var (field, text) = request.Query.ContainsKey(LastEventIdQuery)
            ? (LastEventIdQuery, (string?)request.Query[LastEventIdQuery])
            : (LastEventIdHeader, (string?)request.Headers[LastEventIdHeader]);
        long after = 0;
        if (!string.IsNullOrEmpty(text) && (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            await StreamProblems.Invalid(field, $"'{field}' must be the id of an event of this stream (a non-negative integer).").ExecuteAsync(context);
            return;
        }

        var session = await mediator.Send(new FindSession(id, user.FindFirstValue("sub")!), cancellationToken);
        if (session is null)
        {
            await StreamProblems.Missing().ExecuteAsync(context);
            return;
        }

        if (turns.Find(id) is { } turn && !(turn.Overflowed && turn.IsEnded))
        {
            if (turn.Overflowed)
            {
                await TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The turn is too long to follow live.", detail: "Resume it once it has ended.").ExecuteAsync(context);
                return;
            }

            StreamResponse.PrepareStream(context);
            await follower.FollowAsync(context, turn, protocol, after, cancellationToken);
            return;
        }

        var replies = await rows.LatestTurnAsync(id, cancellationToken);
        if (replies.Count == 0)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        if (replies.Exists(r => r.Status == MessageStatus.Streaming))
        {
            // Another instance generates the turn: it holds the events. A forwarded request is never forwarded again.
            if (!forwarder.IsForwarded(context) && await forwarder.TryForwardAsync(context, replies, cancellationToken))
            {
                return;
            }

            await TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The turn is streaming on an instance that cannot be reached.", detail: "Try again shortly.").ExecuteAsync(context);
            return;
        }

        if (replies.Max(r => r.UpdatedAt) < clock.GetUtcNow() - options.Value.ResumeRetention)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        StreamResponse.PrepareStream(context);
        // A battle not yet voted on names no model, as its live stream did not.
        using var replay = StoredTurnReplay.Rebuild(id, replies, hideModels: session.Battle && session.RevealedAt is null);
        await follower.FollowAsync(context, replay, protocol, after, cancellationToken);
    }
}
