using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The problems every stream endpoint answers instead of a stream, worded once.
internal static class StreamProblems
{
    public static IResult Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// Another user's session answers exactly like one that never existed, and so does one deleted meanwhile.
    public static IResult Missing() => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "The session does not exist.");

    public static IResult Busy() =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A reply is already streaming in this session.", detail: "Wait for it to finish, then send the next message.");

    public static IResult TooManyOpen(HttpContext context) =>
        TooMany(context, TimeSpan.FromSeconds(1), "You have as many streams open as one user may; nothing was stored. Send the message when one of them ends.");

    /// A key names one request: the same key with another body is a client's mistake, never a retry.
    public static IResult KeyReused() => TypedResults.Problem(
        statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "The Idempotency-Key was already used with a different body.",
        detail: "A retry sends the same body with the same key; a new message needs a new key. Nothing was stored.",
        extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [TurnKeys.Header] = ["Already used in this session for another message."] } });

    /// The turn a key started can no longer be followed: a later turn replaced it, or it ended beyond the resume window.
    public static IResult KeySpent() => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "The Idempotency-Key was already used for a turn that can no longer be resumed.",
        detail: "That message was stored and answered; list the session's messages to read it, or send a new message with a new key.",
        extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [TurnKeys.Header] = ["Already used in this session."] } });

    /// The same answer as the Host's per-minute limiter gives.
    public static IResult TooMany(HttpContext context, TimeSpan retryAfter, string detail)
    {
        context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, detail: detail);
    }

    /// Retry-After: 1, for a refusal that lasts only a moment.
    public static IResult Unavailable(HttpContext context, string title, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }
}
