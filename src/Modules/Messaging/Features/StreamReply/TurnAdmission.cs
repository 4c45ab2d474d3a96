using System.Security.Claims;
using System.Text.Json;
using Arena.BuildingBlocks.Limits;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// Everything that happens before the first byte of a stream, for every pipeline: the request read
/// (<see cref="StreamRequestReader"/>), then the turn admitted: the session, the per-user limits and the rows in one
/// statement, the pipeline's own capacity, and each participant's history. It answers either a problem to send instead
/// of a stream, or the opened stream, and tells the request's trace which one.
internal sealed class TurnAdmission(IMediator mediator, StreamRecorder recorder, StreamDrain drain, OwnerStreams ownerStreams, IOptions<MessagingOptions> options, IOptions<UserLimitOptions> ownerLimits)
{
    /// A problem to send, the opened stream, or the turn a repeated <c>Idempotency-Key</c> already started.
    internal sealed record Opening(IResult? Problem, OpenedStream? Stream, TurnKeys.Repeat? Repeat = null);

    /// <paramref name="resumable"/> says whether the calling pipeline can run a turn detached from its request; where it
    /// cannot, <c>"resumable": true</c> is refused and the deployment's default does not apply. <paramref name="reserve"/>
    /// takes the pipeline's own capacity for the turn, or answers the problem to send when there is none; it runs only
    /// once the session admitted the turn (which is withdrawn if it is refused), so that requests their session refuses
    /// never hold that capacity for others.
    public async Task<Opening> OpenAsync(HttpContext context, StreamTrace trace, CancellationToken cancellationToken, bool resumable = false, Func<IResult?>? reserve = null)
    {
        var opening = await AdmitAsync(context, trace, resumable, reserve, cancellationToken);
        if (opening.Repeat is not null)
        {
            trace.Repeated();
        }
        else if (opening.Stream is null)
        {
            trace.Refused(opening.Problem!);
        }
        else
        {
            trace.Opened();
        }

        return opening;
    }

    private async Task<Opening> AdmitAsync(HttpContext context, StreamTrace trace, bool resumableSupported, Func<IResult?>? reserve, CancellationToken cancellationToken)
    {
        if (drain.Draining)
        {
            // Another instance takes it: the load balancer sees this one's readiness fail from the same moment.
            return Refused(StreamProblems.Unavailable(context, "The server is shutting down.", "Nothing was stored; send the message again."));
        }

        var settings = options.Value;
        var request = context.Request;
        if (StreamRequestReader.ReadProtocol(request.Query["protocol"], request.Headers[StreamRequestReader.ProtocolHeader], StreamProtocol.Data, out var invalid) is not { } protocol)
        {
            return Refused(invalid!);
        }

        trace.Protocol(protocol);

        // A body in another format is refused as every other endpoint refuses it; a body sent with no type is read as JSON,
        // as the old service read it.
        if (!string.IsNullOrEmpty(request.ContentType) && !request.HasJsonContentType())
        {
            return Refused(TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, detail: "Send the body as application/json."));
        }

        if (request.ContentLength == 0 || context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        {
            return Refused(StreamProblems.Invalid("body", "The body is missing: send a JSON object."));
        }

        var keyText = TurnKeys.Read(request, out invalid);
        if (invalid is not null)
        {
            return Refused(invalid);
        }

        if (keyText is not null)
        {
            // Kept, so that a repeat whose turn another instance generates can be sent on to it whole.
            request.EnableBuffering();
        }

        StreamRequest? asked;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            asked = StreamRequestReader.Read(document.RootElement, resumableSupported, settings.ResumableByDefault, settings.MaxContentLength, out invalid);
        }
        catch (JsonException exception)
        {
            return Refused(StreamRequestReader.NotJson(exception));
        }

        if (asked is null)
        {
            return Refused(invalid!);
        }

        var ownerId = context.User.FindFirstValue("sub")!;
        // The session list is ordered by last activity: the lookup also moves the session to the top (queued, without a
        // round trip, when Sessions remembers the session).
        var session = await mediator.Send(new RecordSessionActivity(asked.SessionId, ownerId), cancellationToken);
        if (session is null)
        {
            return Refused(StreamProblems.Missing());
        }

        trace.Session(session.Id, session.Mode);

        var userMessageId = Guid.CreateVersion7();
        var replies = session.Models.Select((model, i) => new MessageRows.Placeholder(Guid.CreateVersion7(), (Participant)i, model)).ToList();

        // Not cancellable: once the rows may exist, the stream must run so that its participants settle them.
        var limitSettings = ownerLimits.Value;
        var limits = new MessageRows.OwnerLimits(ownerId, limitSettings.StreamsPerUser, limitSettings.StreamRequestsPerMinute, limitSettings.AcrossInstances);
        var key = keyText is null ? null : new MessageRows.StartKey(keyText, TurnKeys.Fingerprint(asked));
        var start = await recorder.TryStartAsync(session.Id, userMessageId, asked.Content, replies, limits, key, CancellationToken.None);
        if (start.Repeat is { } repeat)
        {
            return !repeat.SameRequest ? Refused(StreamProblems.KeyReused())
                : !repeat.IsLatest ? Refused(StreamProblems.KeySpent())
                : new Opening(null, null, new TurnKeys.Repeat(session, protocol));
        }

        if (start.History is not { } history)
        {
            return Refused(start.Refusal switch
            {
                MessageRows.TurnRefusal.SessionDeleted => StreamProblems.Missing(),
                MessageRows.TurnRefusal.SessionBusy => StreamProblems.Busy(),
                MessageRows.TurnRefusal.TooManyRecent => StreamProblems.TooMany(context, start.RetryAfter, "You started too many streams this minute; nothing was stored. Retry-After says when to try again."),
                _ => StreamProblems.TooManyOpen(context),
            });
        }

        // The capacities counted in this process are taken only by a turn its session admitted, so that a request the
        // session refuses (409) never holds one that another request then misses; a turn admitted without one is taken
        // back before anything of it was sent.
        OwnerStreams.OwnerSlot? slot = null;
        var refusal = reserve?.Invoke();
        if (refusal is null && !limitSettings.AcrossInstances && (slot = ownerStreams.TryEnter(ownerId, limitSettings.StreamsPerUser)) is null)
        {
            refusal = StreamProblems.TooManyOpen(context);
        }

        if (refusal is not null)
        {
            await recorder.WithdrawAsync(userMessageId, replies, CancellationToken.None);
            return Refused(refusal);
        }

        var anonymous = session is { Battle: true, RevealedAt: null };
        var participants = replies.ConvertAll(reply => Plan(reply, history, asked.Content, settings.HistoryBudget, anonymous));
        return new Opening(null, new OpenedStream(protocol, participants, trace, session.Id, asked.Resumable, slot));
    }

    private static Opening Refused(IResult problem) => new(problem, null);

    /// The participant's earlier conversation as whole turns (a user message and this participant's successful reply to it),
    /// newest first while they fit the budget, then oldest first, then the new message. Whole turns, so that what the
    /// provider receives never opens with an assistant message, which several chat templates refuse.
    private static ParticipantPlan Plan(MessageRows.Placeholder reply, List<MessageRows.HistoryEntry> history, string content, int budget, bool anonymous)
    {
        var turns = new List<(MessageRows.HistoryEntry User, MessageRows.HistoryEntry? Reply)>();
        foreach (var entry in history)
        {
            if (entry.Role == MessageRole.User)
            {
                turns.Add((entry, null));
            }
            else if (entry.Participant == reply.Participant && turns.Count > 0 && turns[^1].Reply is null)
            {
                turns[^1] = (turns[^1].User, entry);
            }
        }

        var first = turns.Count;
        var spent = 0;
        while (first > 0)
        {
            var (user, answer) = turns[first - 1];
            spent += user.Content.Length + (answer?.Content.Length ?? 0);
            if (spent > budget)
            {
                break;
            }

            first--;
        }

        var conversation = new List<ChatTurn>(((turns.Count - first) * 2) + 1);
        for (var i = first; i < turns.Count; i++)
        {
            conversation.Add(new ChatTurn(ChatTurnRole.User, turns[i].User.Content));
            if (turns[i].Reply is { } earlier)
            {
                conversation.Add(new ChatTurn(ChatTurnRole.Assistant, earlier.Content));
            }
        }

        conversation.Add(new ChatTurn(ChatTurnRole.User, content));
        return new ParticipantPlan(reply.Participant, reply.Model, reply.Id, conversation, anonymous);
    }
}
