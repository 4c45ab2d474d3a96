using Arena.Modules.Messaging.Domain;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming;

/// What a pipeline writes to the client, in the order it should reach it; the wire writers turn each into bytes.
internal abstract record StreamEvent;

/// <see cref="Model"/> is null while a battle hides its models.
internal sealed record StreamStarted(Participant Participant, Guid MessageId, string? Model) : StreamEvent;

internal sealed record StreamDelta(Participant Participant, string Content) : StreamEvent;

internal sealed record StreamReasoning(Participant Participant, string Content) : StreamEvent;

internal sealed record StreamToolCall(Participant Participant, string Id, string Name, string Arguments) : StreamEvent;

internal sealed record StreamFailed(Participant Participant, string Code, string Message) : StreamEvent;

/// <see cref="Stored"/>: whether the reply was in the database when the event was sent (see <c>FinalWrites</c>).
internal sealed record StreamFinished(Participant Participant, string FinishReason, TokenUsage? Usage, long? TtftMs, long DurationMs, bool Stored) : StreamEvent;

/// Nothing happened for a while; lets proxies and clients see the connection is alive.
internal sealed record StreamKeepAlive : StreamEvent
{
    public static readonly StreamKeepAlive Instance = new();
}
