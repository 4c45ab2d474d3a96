using Arena.Modules.Messaging.Domain;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming;

/// What a pipeline writes to the client, in the order it should reach it; the wire writers turn each into bytes.
internal abstract record StreamEvent;

/// An event of one of the turn's participants.
internal abstract record ParticipantEvent(Participant Participant) : StreamEvent;

/// <see cref="Model"/> is null while a battle hides its models.
internal sealed record StreamStarted(Participant Participant, Guid MessageId, string? Model) : ParticipantEvent(Participant);

internal sealed record StreamDelta(Participant Participant, string Content) : ParticipantEvent(Participant);

internal sealed record StreamReasoning(Participant Participant, string Content) : ParticipantEvent(Participant);

internal sealed record StreamToolCall(Participant Participant, string Id, string Name, string Arguments) : ParticipantEvent(Participant);

internal sealed record StreamFailed(Participant Participant, string Code, string Message) : ParticipantEvent(Participant);

/// <see cref="Stored"/>: whether the reply was in the database when the event was sent (see <c>FinalWrites</c>).
internal sealed record StreamFinished(Participant Participant, string FinishReason, TokenUsage? Usage, long? TtftMs, long DurationMs, bool Stored) : ParticipantEvent(Participant);

/// Nothing happened for a while; lets proxies and clients see the connection is alive.
internal sealed record StreamKeepAlive : StreamEvent
{
    public static readonly StreamKeepAlive Instance = new();
}
