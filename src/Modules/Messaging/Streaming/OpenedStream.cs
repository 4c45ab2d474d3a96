using Arena.Modules.Messaging.Domain;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming;

internal enum StreamProtocol
{
    Data,
    Sse,
}

/// One participant's part of a stream: the model, the placeholder row its reply goes to, and what the provider receives.
/// <see cref="Anonymous"/>: a battle not yet voted on, so nothing sent to the client may name the model or its provider.
internal sealed record ParticipantPlan(Participant Participant, string Model, Guid MessageId, IReadOnlyList<ChatTurn> Turns, bool Anonymous = false);

/// A stream that passed every check and whose rows exist: from here on, errors travel inside the stream.
/// A resumable stream's generation outlives its client's connection (see <see cref="LiveTurn"/>).
/// <see cref="Slot"/>: the sender's slot in this process, where the per-user limit is counted here; given back when the
/// turn ends.
internal sealed record OpenedStream(StreamProtocol Protocol, IReadOnlyList<ParticipantPlan> Participants, StreamTrace Trace, Guid SessionId, bool Resumable, OwnerStreams.OwnerSlot? Slot = null);
