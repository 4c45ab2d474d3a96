using Arena.Modules.Messaging.Contracts;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Arena.Modules.Messaging.Features;

internal sealed class HoldTurnStartsHandler(MessageRows rows) : IRequestHandler<HoldTurnStarts, IAsyncDisposable>
{
    public async ValueTask<IAsyncDisposable> Handle(HoldTurnStarts request, CancellationToken cancellationToken) =>
        await rows.HoldTurnStartsAsync(request.SessionId, cancellationToken);
}

internal sealed class ListSessionRepliesHandler(IDbContextFactory<MessagingDbContext> contexts) : IQueryHandler<ListSessionReplies, IReadOnlyList<ReplyRecord>>
{
    public async ValueTask<IReadOnlyList<ReplyRecord>> Handle(ListSessionReplies query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == query.SessionId && m.Role == MessageRole.Assistant)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Participant)
            .ToListAsync(cancellationToken);
        return [.. rows.Select(ToRecord)];
    }

    private static ReplyRecord ToRecord(Message message)
    {
        var metadata = MessageMetadata.Deserialize(message.Metadata);
        return new ReplyRecord(
            message.ParentId ?? message.Id,
            WireNames.Of(message.Participant ?? Participant.A),
            message.Model,
            message.Status.ToString().ToLowerInvariant(),
            metadata?.FinishReason,
            metadata?.TtftMs,
            metadata?.DurationMs,
            metadata?.Usage?.CompletionTokens,
            message.Content,
            message.CreatedAt,
            message.UpdatedAt);
    }
}

internal sealed class ListModelSpeedsHandler(IDbContextFactory<MessagingDbContext> contexts) : IQueryHandler<ListModelSpeeds, IReadOnlyList<ModelSpeed>>
{
    // One grouped pass in the database; two-model sessions are those with a participant b.
    private const string Sql = """
        SELECT m.model,
               count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY (m.metadata->>'ttft_ms')::float8),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY (m.metadata->>'ttft_ms')::float8),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY
                   CASE WHEN m.status = 'success'
                             AND (m.metadata->'usage'->>'completion_tokens') IS NOT NULL
                             AND (m.metadata->>'duration_ms')::float8 > coalesce((m.metadata->>'ttft_ms')::float8, 0)
                        THEN (m.metadata->'usage'->>'completion_tokens')::float8 * 1000
                             / ((m.metadata->>'duration_ms')::float8 - coalesce((m.metadata->>'ttft_ms')::float8, 0))
                   END),
               avg(CASE WHEN m.status IN ('error', 'interrupted') THEN 1.0 ELSE 0.0 END)::float8
        FROM messaging.messages m
        WHERE m.role = 'assistant' AND m.status <> 'streaming' AND m.model IS NOT NULL
          AND (@p0::timestamptz IS NULL OR m.created_at >= @p0)
          AND m.session_id IN (SELECT b.session_id FROM messaging.messages b WHERE b.participant = 'b')
        GROUP BY m.model
        ORDER BY m.model
        """;

    public async ValueTask<IReadOnlyList<ModelSpeed>> Handle(ListModelSpeeds query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.Add(new NpgsqlParameter("p0", NpgsqlDbType.TimestampTz) { Value = (object?)query.Since ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var speeds = new List<ModelSpeed>();
        while (await reader.ReadAsync(cancellationToken))
        {
            speeds.Add(new ModelSpeed(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.IsDBNull(2) ? null : reader.GetDouble(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4),
                reader.GetDouble(5)));
        }

        return speeds;
    }
}
