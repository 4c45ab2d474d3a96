using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;

namespace Arena.Modules.Messaging.Streaming;

/// The writes that bracket a stream, shared by both pipelines: the start (the history and the turn's rows in one round
/// trip) and the end of each participant (one statement). Partial copies in between belong to <see cref="BackgroundSaves"/>.
internal sealed class StreamRecorder(MessageRows rows, StreamHostLease host, FinalWrites writes, TimeProvider clock)
{
    /// Inserts the user message and the streaming placeholders, and returns the session's earlier user messages and
    /// successful replies (oldest first) read in the same round trip; or, with nothing inserted, why the turn cannot start.
    public Task<MessageRows.TurnStart> TryStartAsync(Guid sessionId, Guid userMessageId, string content, IReadOnlyList<MessageRows.Placeholder> replies, MessageRows.OwnerLimits limits, MessageRows.StartKey? key, CancellationToken cancellationToken) =>
        rows.StartTurnAsync(sessionId, userMessageId, content, replies, host.Id, Now(), limits, key, cancellationToken);

    /// Removes a turn that was inserted but never started: nothing of it was sent or acknowledged.
    public Task WithdrawAsync(Guid userMessageId, IReadOnlyList<MessageRows.Placeholder> replies, CancellationToken cancellationToken) =>
        rows.DeleteAsync([userMessageId, .. replies.Select(reply => reply.Id)], cancellationToken);

    /// Writes the end of a participant: content, status and metadata. True when the row holds it within
    /// <see cref="MessagingOptions.FinalWriteWait"/>; otherwise the write goes on being retried in the background (see
    /// <see cref="FinalWrites"/>). Runs even when the request was aborted, so it takes no request token. Never throws.
    public Task<bool> FinishAsync(ParticipantTranscript transcript) =>
        writes.WriteAsync(new FinalWrite(transcript.Plan.MessageId, transcript.Content, transcript.Status, transcript.Metadata().Serialize(), Now(), transcript.Reasoning));

    /// Saves whatever a participant had when its stream stopped early: cancelled, or interrupted when the instance is
    /// shutting down, unless it had already ended.
    public Task<bool> SettleAsync(ParticipantTranscript transcript, bool shutdown)
    {
        if (shutdown)
        {
            transcript.Interrupt(StreamDrain.ShutdownCode, StreamDrain.ShutdownMessage);
        }
        else
        {
            transcript.Cancel();
        }

        return FinishAsync(transcript);
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        // PostgreSQL keeps microseconds; truncating makes a row read back exactly as written.
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }
}
