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

    /// Runs even when the request was aborted, so it takes no request token: only the configured timeout bounds it.
    public async Task FinishAsync(Guid messageId, string content, MessageStatus status, MessageMetadata metadata)
    {
        using var timeout = new CancellationTokenSource(options.Value.FinalWriteTimeout);
        var now = Now();
        var json = metadata.Serialize();
        await using var db = await contexts.CreateDbContextAsync(timeout.Token);
        await db.Messages.Where(m => m.Id == messageId)
            .ExecuteUpdateAsync(
                set => set.SetProperty(m => m.Content, content).SetProperty(m => m.Status, status).SetProperty(m => m.Metadata, json).SetProperty(m => m.UpdatedAt, now),
                timeout.Token);
    }

    public Task FinishAsync(ParticipantTranscript transcript) =>
        FinishAsync(transcript.Plan.MessageId, transcript.Content, transcript.Status, transcript.Metadata());

    /// Saves whatever a participant had when its stream stopped early (cancelled unless it had already ended);
    /// never throws, because it runs on the way out of a stream where nobody could act on the failure.
    public async Task SettleAsync(ParticipantTranscript transcript)
    {
        transcript.Cancel();
        try
        {
            await FinishAsync(transcript);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Could not save the end of message {MessageId}", transcript.Plan.MessageId);
        }
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        // PostgreSQL keeps microseconds; truncating makes a row read back exactly as written.
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }
}
