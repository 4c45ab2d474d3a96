using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Streaming;

/// The writes that bracket a stream, shared by both pipelines: the start (the history and the turn's rows in one round
/// trip) and the end of each participant (one statement). Partial copies in between belong to <see cref="PartialSaves"/>.
internal sealed class StreamRecorder(MessageRows rows, StreamHostLease host, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<StreamRecorder> logger)
{
    /// Inserts the user message and the streaming placeholders, and returns the session's earlier user messages and
    /// successful replies (oldest first) read in the same round trip; null when a stream already runs on the session.
    public Task<List<MessageRows.HistoryEntry>?> TryStartAsync(Guid sessionId, Guid userMessageId, string content, IReadOnlyList<MessageRows.Placeholder> replies, CancellationToken cancellationToken) =>
        rows.StartTurnAsync(sessionId, userMessageId, content, replies, host.Id, Now(), cancellationToken);

    /// Writes the end of a participant: content, status and metadata. Runs even when the request was aborted, so it
    /// takes no request token, only the configured timeout. Never throws: when the database refuses, the stream host
    /// retries the same write every heartbeat, so the row still ends right and its session is not blocked for good.
    public async Task FinishAsync(ParticipantTranscript transcript)
    {
        var end = new FinalWrite(transcript.Plan.MessageId, transcript.Content, transcript.Status, transcript.Metadata().Serialize(), Now(), transcript.Reasoning);
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.FinalWriteTimeout);
            await rows.FinishAsync(end, timeout.Token);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Could not save the end of message {MessageId}; retrying it every heartbeat", end.MessageId);
            host.RetryLater(end);
        }
    }

    /// Saves whatever a participant had when its stream stopped early (cancelled unless it had already ended).
    public Task SettleAsync(ParticipantTranscript transcript)
    {
        transcript.Cancel();
        return FinishAsync(transcript);
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        // PostgreSQL keeps microseconds; truncating makes a row read back exactly as written.
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }
}
