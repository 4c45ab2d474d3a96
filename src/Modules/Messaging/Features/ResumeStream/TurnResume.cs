using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.ResumeStream;

/// The session's last turn after a position a client already has: from this instance's memory when it holds the turn
/// (live, or ended within the retention window), forwarded to the instance that generates it when that is another one,
/// replayed from the stored rows when the turn ended and no instance holds its events any more. A resume and a retried
/// start (<see cref="TurnAdmission"/>'s repeated <c>Idempotency-Key</c>) both follow the turn through it; what to answer
/// when there is nothing left to send is theirs.
internal sealed class TurnResume(LiveTurns turns, TurnFollower follower, MessageRows rows, TurnForwarder forwarder, TimeProvider clock, IOptions<MessagingOptions> options)
{
    internal enum Outcome
    {
        /// The response was written: the rest of the turn, a forward, or a problem.
        Answered,

        /// No turn to resume: none streams and none ended within the retention window. Nothing was written.
        NoTurn,

        /// The turn ended and the client already has its final event. Nothing was written.
        AtEnd,
    }

    public async Task<Outcome> ServeAsync(HttpContext context, SessionInfo session, StreamProtocol protocol, long after, CancellationToken cancellationToken)
    {
        if (turns.Find(session.Id) is { } turn && !(turn.Overflowed && turn.IsEnded))
        {
            if (turn.Overflowed)
            {
                await TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The turn is too long to follow live.", detail: "Resume it once it has ended.").ExecuteAsync(context);
                return Outcome.Answered;
            }

            // Read the end before the position: once ended, every event is published.
            if (turn.IsEnded && after >= TurnFollower.FinalPosition(turn, protocol))
            {
                return Outcome.AtEnd;
            }

            StreamResponse.PrepareStream(context);
            await follower.FollowAsync(context, turn, protocol, after, cancellationToken);
            return Outcome.Answered;
        }

        var replies = await rows.LatestTurnAsync(session.Id, cancellationToken);
        if (replies.Count == 0)
        {
            return Outcome.NoTurn;
        }

        if (replies.Exists(r => r.Status == MessageStatus.Streaming))
        {
            // Another instance generates the turn: it holds the events. A forwarded request is never forwarded again.
            if (!forwarder.IsForwarded(context) && await forwarder.TryForwardAsync(context, replies, cancellationToken))
            {
                return Outcome.Answered;
            }

            await TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The turn is streaming on an instance that cannot be reached.", detail: "Try again shortly.").ExecuteAsync(context);
            return Outcome.Answered;
        }

        if (replies.Max(r => r.UpdatedAt) < clock.GetUtcNow() - options.Value.ResumeRetention)
        {
            return Outcome.NoTurn;
        }

        // A battle not yet voted on names no model, as its live stream did not.
        using var replay = StoredTurnReplay.Rebuild(session.Id, replies, hideModels: session.Battle && session.RevealedAt is null);
        if (after >= TurnFollower.FinalPosition(replay, protocol))
        {
            return Outcome.AtEnd;
        }

        StreamResponse.PrepareStream(context);
        await follower.FollowAsync(context, replay, protocol, after, cancellationToken);
        return Outcome.Answered;
    }
}
