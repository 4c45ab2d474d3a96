using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Streaming;

/// Everything that happens before the first byte of a stream, for every pipeline: the protocol, the body, the session,
/// the history, and the rows. It answers either a problem to send instead of a stream, or the opened stream, and tells the
/// request's trace which one.
internal sealed class StreamGate(IMediator mediator, StreamRecorder recorder, StreamDrain drain, OwnerStreams ownerStreams, IOptions<MessagingOptions> options, IOptions<OwnerLimitOptions> ownerLimits)
{
    public const string ProtocolHeader = "X-Arena-Protocol";

    internal sealed record Opening(IResult? Problem, OpenedStream? Stream);

    /// <paramref name="resumable"/> says whether the calling pipeline can run a turn detached from its request; where it
    /// cannot, <c>"resumable": true</c> is refused and the deployment's default does not apply. <paramref name="reserve"/>
    /// takes the pipeline's own capacity for the turn, or answers the problem to send when there is none; it runs only
    /// once the session admitted the turn (which is withdrawn if it is refused), so that requests their session refuses
    /// never hold that capacity for others.
    public async Task<Opening> OpenAsync(HttpContext context, StreamTrace trace, CancellationToken cancellationToken, bool resumable = false, Func<IResult?>? reserve = null)
    {
        var opening = await CheckAsync(context, trace, resumable, reserve, cancellationToken);
        if (opening.Stream is null)
        {
            trace.Refused(opening.Problem!);
        }
        else
        {
            trace.Opened();
        }

        return opening;
    }

    private async Task<Opening> CheckAsync(HttpContext context, StreamTrace trace, bool resumableSupported, Func<IResult?>? reserve, CancellationToken cancellationToken)
    {
        if (drain.Draining)
        {
            // Another instance takes it: the load balancer sees this one's readiness fail from the same moment.
            context.Response.Headers.RetryAfter = "1";
            return new Opening(
                TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The server is shutting down.", detail: "Nothing was stored; send the message again."),
                null);
        }

        var settings = options.Value;
        var request = context.Request;
        string? protocolName = request.Query["protocol"];
        protocolName ??= request.Headers[ProtocolHeader];
        StreamProtocol protocol;
        if (string.IsNullOrEmpty(protocolName) || protocolName.Equals("data", StringComparison.OrdinalIgnoreCase))
        {
            protocol = StreamProtocol.Data;
        }
        else if (protocolName.Equals("sse", StringComparison.OrdinalIgnoreCase))
        {
            protocol = StreamProtocol.Sse;
        }
        else
        {
            return Invalid("protocol", "'protocol' must be 'data' or 'sse'.");
        }

        trace.Protocol(protocol);

        // A body in another format is refused as every other endpoint refuses it; a body sent with no type is read as JSON,
        // as the old service read it.
        if (!string.IsNullOrEmpty(request.ContentType) && !request.HasJsonContentType())
        {
            return new Opening(TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, detail: "Send the body as application/json."), null);
        }

        if (request.ContentLength == 0 || context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        {
            return Invalid("body", "The body is missing: send a JSON object.");
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException exception)
        {
            // Word for word what the Host says of every other endpoint's body.
            return Invalid("body", string.Create(CultureInfo.InvariantCulture, $"The body is not valid JSON (line {exception.LineNumber + 1}, position {exception.BytePositionInLine + 1})."));
        }

        string content;
        Guid sessionId;
        bool resumable;
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Invalid("body", "The body must be a JSON object with 'session_id' and 'messages'.");
            }

            var errors = new Dictionary<string, string[]>();
            try
            {
                sessionId = ReadSessionId(document.RootElement, errors);
                content = ReadNewTurn(document.RootElement, errors);
                resumable = ReadResumable(document.RootElement, errors, resumableSupported, settings.ResumableByDefault);
            }
            catch (InvalidOperationException)
            {
                // A property name with a lone surrogate escape: the parser keeps it and throws only when a lookup has to
                // compare against it. Like malformed text anywhere else, the client's doing.
                return Invalid("body", "The body's property names must be valid Unicode text: no lone surrogates (\\ud800-\\udfff).");
            }

            if (errors.Count > 0)
            {
                return new Opening(TypedResults.ValidationProblem(errors), null);
            }
        }

        if (content.Length > settings.MaxContentLength)
        {
            return new Opening(
                TypedResults.Problem(
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "The message is too long.",
                    detail: $"The last user message has {content.Length} characters; at most {settings.MaxContentLength} are accepted.",
                    extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["messages"] = [$"The content exceeds {settings.MaxContentLength} characters."] } }),
                null);
        }

        if (content.Contains('\0', StringComparison.Ordinal))
        {
            return Invalid("messages", NotText);
        }

        var ownerId = context.User.FindFirstValue("sub")!;
        // The session list is ordered by last activity: the lookup also moves the session to the top (queued, without a
        // round trip, when Sessions remembers the session).
        var session = await mediator.Send(new RecordSessionActivity(sessionId, ownerId), cancellationToken);
        if (session is null)
        {
            return Missing();
        }

        trace.Session(session.Id, session.Mode);

        var userMessageId = Guid.CreateVersion7();
        List<MessageRows.Placeholder> replies = [new(Guid.CreateVersion7(), Participant.A, session.ModelA)];
        if (session is { Mode: SessionKind.Compare, ModelB: { } modelB })
        {
            replies.Add(new(Guid.CreateVersion7(), Participant.B, modelB));
        }

        // Not cancellable: once the rows may exist, the stream must run so that its participants settle them.
        var limitSettings = ownerLimits.Value;
        var limits = new MessageRows.OwnerLimits(ownerId, limitSettings.StreamsPerUser, limitSettings.StreamRequestsPerMinute, limitSettings.AcrossInstances);
        var start = await recorder.TryStartAsync(session.Id, userMessageId, content, replies, limits, CancellationToken.None);
        if (start.History is not { } history)
        {
            return start.Refusal switch
            {
                MessageRows.TurnRefusal.SessionDeleted => Missing(),
                MessageRows.TurnRefusal.SessionBusy => Busy(),
                MessageRows.TurnRefusal.TooManyRecent => TooMany(context, start.RetryAfter, "You started too many streams this minute; nothing was stored. Retry-After says when to try again."),
                _ => TooManyOpen(context),
            };
        }

        // The capacities counted in this process are taken only by a turn its session admitted, so that a request the
        // session refuses (409) never holds one that another request then misses; a turn admitted without one is taken
        // back before anything of it was sent.
        OwnerStreams.OwnerSlot? slot = null;
        var refusal = reserve?.Invoke();
        if (refusal is null && !limitSettings.AcrossInstances && (slot = ownerStreams.TryEnter(ownerId, limitSettings.StreamsPerUser)) is null)
        {
            refusal = TooManyOpen(context).Problem;
        }

        if (refusal is not null)
        {
            await recorder.WithdrawAsync(userMessageId, replies, CancellationToken.None);
            return new Opening(refusal, null);
        }

        var anonymous = session is { Battle: true, RevealedAt: null };
        var participants = replies.ConvertAll(reply => Plan(reply, history, content, settings.HistoryBudget, anonymous));
        return new Opening(null, new OpenedStream(protocol, participants, trace, session.Id, resumable, slot));
    }

    private static Opening Busy() =>
        new(TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A reply is already streaming in this session.", detail: "Wait for it to finish, then send the next message."), null);

    private static Opening TooManyOpen(HttpContext context) =>
        TooMany(context, TimeSpan.FromSeconds(1), "You have as many streams open as one user may; nothing was stored. Send the message when one of them ends.");

    /// The same answer as the Host's per-minute limiter gives.
    private static Opening TooMany(HttpContext context, TimeSpan retryAfter, string detail)
    {
        context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return new(TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, detail: detail), null);
    }

    /// A session deleted while the request was admitted answers as one that never existed.
    private static Opening Missing() => new(TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "The session does not exist."), null);

    private static Opening Invalid(string field, string message) =>
        new(TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }), null);

    private static Guid ReadSessionId(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("session_id", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors["session_id"] = ["'session_id' is required."];
            return Guid.Empty;
        }

        if (value.ValueKind != JsonValueKind.String || !TryGetText(value, out var text) || !Guid.TryParse(text, out var id))
        {
            errors["session_id"] = ["'session_id' must be a uuid."];
            return Guid.Empty;
        }

        return id;
    }

    private static bool ReadResumable(JsonElement body, Dictionary<string, string[]> errors, bool supported, bool byDefault)
    {
        if (!body.TryGetProperty("resumable", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return supported && byDefault;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors["resumable"] = ["'resumable' must be true or false."];
            return false;
        }

        if (value.ValueKind == JsonValueKind.True && !supported)
        {
            errors["resumable"] = ["The legacy pipeline does not run resumable turns; send the message without 'resumable'."];
            return false;
        }

        return value.ValueKind == JsonValueKind.True;
    }

    /// The new turn is the last user message; earlier ones in the body are ignored because the server keeps the history.
    private static string ReadNewTurn(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            errors["messages"] = ["'messages' is required: a list of {role, content}."];
            return "";
        }

        JsonElement? last = null;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !TryGetText(role, out var roleName) || roleName is not ("user" or "assistant" or "system"))
            {
                var given = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var bad) && TryGetRawText(bad, out var raw) ? $" (got {raw})" : "";
                errors[$"messages[{index}].role"] = [$"'messages[{index}].role' must be one of: user, assistant, system{given}."];
                return "";
            }

            if (roleName == "user")
            {
                last = message;
            }

            index++;
        }

        if (last is null)
        {
            errors["messages"] = ["'messages' must contain a user message."];
            return "";
        }

        if (!last.Value.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
        {
            errors["messages"] = ["The last user message must have a non-empty string 'content'."];
            return "";
        }

        if (!TryGetText(content, out var text))
        {
            errors["messages"] = [NotText];
            return "";
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            errors["messages"] = ["The last user message must have a non-empty string 'content'."];
            return "";
        }

        return text;
    }

    private const string NotText = "The last user message's 'content' must be valid Unicode text: UTF-8, without lone surrogates (\\ud800-\\udfff) or NUL.";

    /// The parser accepts invalid UTF-8 and lone "\ud800" escapes inside strings and only refuses them when asked for
    /// the string; a refusal here is the client's malformed text, not a fault of ours.
    private static bool TryGetText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static bool TryGetRawText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetRawText();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

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
