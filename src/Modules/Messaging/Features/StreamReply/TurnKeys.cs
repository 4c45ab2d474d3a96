using System.Security.Cryptography;
using System.Text;
using Arena.Modules.Messaging.Features.ResumeStream;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// <c>Idempotency-Key</c> on a turn's start (the IETF httpapi draft's header): a client that retries a start it lost the
/// answer to (fetch-event-source does by itself) sends the same key, and is answered by the turn the first one started,
/// from its <c>Last-Event-ID</c>, instead of starting a second turn that stores the message twice and pays the models
/// again. Keys are stored on the turn's user message, unique per session (so per user), on every instance.
internal static class TurnKeys
{
    public const string Header = "Idempotency-Key";

    public const int MaxLength = 255;

    /// A turn start that repeats one the session holds: the session, and the protocol the repeat asked for.
    internal sealed record Repeat(SessionInfo Session, StreamProtocol Protocol);

    /// The key the request carries, or null without one; a problem naming the header when it is not a key.
    public static string? Read(HttpRequest request, out IResult? problem)
    {
        problem = null;
        if (!request.Headers.TryGetValue(Header, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return null;
        }

        if (values.Count != 1 || values[0] is not { Length: > 0 and <= MaxLength } key || !key.All(c => c is > ' ' and <= '~'))
        {
            problem = StreamProblems.Invalid(Header, $"'{Header}' must be one value of 1 to {MaxLength} visible ASCII characters, such as a UUID.");
            return null;
        }

        return key;
    }

    /// What a repeat must ask for again: the message and whether its turn is resumable (the session is the key's scope).
    public static string Fingerprint(StreamRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((request.Resumable ? "1\n" : "0\n") + request.Content)));

    /// Answers a repeated start as a resume of its turn from the request's <c>Last-Event-ID</c> (from the start without
    /// one). A client that already has the turn's end gets an empty stream rather than a 204: a fetch-based client takes
    /// anything but an event stream for a failure, and retries it.
    public static async Task AnswerAsync(HttpContext context, Repeat repeat, CancellationToken cancellationToken)
    {
        var header = ResumeStreamEndpoint.LastEventIdHeader;
        if (ResumeStreamEndpoint.ReadPosition(header, context.Request.Headers[header], out var invalid) is not { } after)
        {
            await invalid!.ExecuteAsync(context);
            return;
        }

        // Forwarded to the instance that generates the turn, the repeat is sent again there, body and all.
        if (context.Request.Body.CanSeek)
        {
            context.Request.Body.Position = 0;
        }

        var resume = context.RequestServices.GetRequiredService<TurnResume>();
        switch (await resume.ServeAsync(context, repeat.Session, repeat.Protocol, after, cancellationToken))
        {
            case TurnResume.Outcome.AtEnd:
                StreamResponse.PrepareStream(context);
                break;
            case TurnResume.Outcome.NoTurn:
                await StreamProblems.KeySpent().ExecuteAsync(context);
                break;
        }
    }
}
