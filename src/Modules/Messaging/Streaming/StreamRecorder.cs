using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Arena.Modules.Messaging.Streaming;

/// Every database write of a stream, shared by both pipelines: the start (one round trip), the periodic partial content,
/// and the end of each participant. Each call uses its own short-lived context because participants write concurrently.
internal sealed class StreamRecorder(IDbContextFactory<MessagingDbContext> contexts, StreamHostLease host, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<StreamRecorder> logger)
{
    internal sealed record HistoryEntry(MessageRole Role, Participant? Participant, string Content, DateTimeOffset CreatedAt);

    /// The user messages and successful replies of a session, oldest first.
    public async Task<List<HistoryEntry>> LoadHistoryAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entries = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId && (m.Role == MessageRole.User || m.Status == MessageStatus.Success))
            .Select(m => new HistoryEntry(m.Role, m.Participant, m.Content, m.CreatedAt))
            .ToListAsync(cancellationToken);
        // A turn's user message and its replies share a timestamp; the user message comes first.
        return [.. entries.OrderBy(e => e.CreatedAt).ThenBy(e => e.Role)];
    }

    /// Inserts the user message and the streaming placeholders together; false when a stream already runs on the session.
    public async Task<bool> TryStartAsync(Guid sessionId, Guid userMessageId, string content, IReadOnlyList<ParticipantPlan> participants, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Messages.Add(new Message
        {
            Id = userMessageId,
            SessionId = sessionId,
            Role = MessageRole.User,
            Content = content,
            Status = MessageStatus.Success,
            CreatedAt = now,
            UpdatedAt = now,
        });
        foreach (var participant in participants)
        {
            db.Messages.Add(new Message
            {
                Id = participant.MessageId,
                SessionId = sessionId,
                Role = MessageRole.Assistant,
                ParentId = userMessageId,
                Model = participant.Model,
                Participant = participant.Participant,
                Status = MessageStatus.Streaming,
                StreamHostId = host.Id,
                CreatedAt = now,
                UpdatedAt = now,
            });
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: Message.OneStreamPerSessionIndex })
        {
            return false;
        }
    }

    /// A partial copy only bounds what a crash can lose: failing one must not end a healthy stream, because the next
    /// interval or the final write carries the same content. So it logs instead of throwing, cancellation apart.
    public async Task SavePartialAsync(Guid messageId, string content, CancellationToken cancellationToken)
    {
        try
        {
            var now = Now();
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Messages.Where(m => m.Id == messageId)
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, content).SetProperty(m => m.UpdatedAt, now), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Could not save the partial content of message {MessageId}; the stream goes on", messageId);
        }
    }

    /// Writes the end of a participant: content, status and metadata. Runs even when the request was aborted, so it
    /// takes no request token, only the configured timeout. Never throws: when the database refuses, the stream host
    /// retries the same write every heartbeat, so the row still ends right and its session is not blocked for good.
    public async Task FinishAsync(ParticipantTranscript transcript)
    {
        var end = new FinalWrite(transcript.Plan.MessageId, transcript.Content, transcript.Status, transcript.Metadata().Serialize(), Now(), transcript.Reasoning);
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.FinalWriteTimeout);
            await WriteAsync(end, timeout.Token);
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

    private async Task WriteAsync(FinalWrite end, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Messages.Where(m => m.Id == end.MessageId).ApplyAsync(end, cancellationToken);
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        // PostgreSQL keeps microseconds; truncating makes a row read back exactly as written.
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }
}
