using Arena.Modules.Messaging.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Arena.Modules.Messaging.Persistence;

/// The hot statements of a stream as plain parameterised SQL: no expression trees, no change tracking, and fixed texts
/// that Npgsql's automatic preparation (<c>Max Auto Prepare</c>) can keep prepared. Each is one round trip and, outside
/// a transaction of its own, one commit.
internal sealed class MessageRows(NpgsqlDataSource database)
{
    internal sealed record HistoryEntry(MessageRole Role, Participant? Participant, string Content, DateTimeOffset CreatedAt);

    internal sealed record Placeholder(Guid Id, Participant Participant, string Model);

    // The history is read before the insert in the same batch, so the new turn's rows never show up in it.
    private const string HistorySql =
        "SELECT role, participant, content, created_at FROM messaging.messages " +
        "WHERE session_id = $1 AND (role = 'user' OR status = 'success') ORDER BY created_at, role = 'assistant'";

    // One statement for the user message and every placeholder: unnest keeps the text the same for one or two replies.
    private const string StartSql =
        "INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at) " +
        "SELECT $1, $2, 'user', $3, NULL, NULL, NULL, 'success', NULL, $4, $4 " +
        "UNION ALL SELECT p.id, $2, 'assistant', '', $1, p.model, p.participant, 'streaming', $5, $4, $4 " +
        "FROM unnest($6::uuid[], $7::text[], $8::text[]) AS p(id, model, participant)";

    private const string FinishSql =
        "UPDATE messaging.messages SET content = $2, status = $3, metadata = $4, updated_at = $5, reasoning = $6 WHERE id = $1";

    // Only a reply still streaming: a reply that did get its end keeps it.
    private const string FailSql =
        "UPDATE messaging.messages SET status = 'error', metadata = $2, updated_at = $3 WHERE id = $1 AND status = 'streaming'";

    // Only a reply still streaming takes a partial copy, so a late partial can never overwrite a final write.
    private const string PartialsSql =
        "UPDATE messaging.messages AS m SET content = p.content, reasoning = p.reasoning, updated_at = $4 " +
        "FROM unnest($1::uuid[], $2::text[], $3::text[]) AS p(id, content, reasoning) WHERE m.id = p.id AND m.status = 'streaming'";

    internal sealed record StoredReply(Guid Id, Participant Participant, string Model, string Content, MessageStatus Status, string? Metadata, Guid? StreamHostId, DateTimeOffset UpdatedAt, string? Positions);

    private const string StreamingSql = "SELECT EXISTS (SELECT 1 FROM messaging.messages WHERE session_id = $1 AND status = 'streaming')";

    // The replies of the session's newest user message: the last turn, ended or not.
    private const string LatestTurnSql =
        "SELECT id, participant, model, content, status, metadata, stream_host_id, updated_at, stream_positions FROM messaging.messages " +
        "WHERE parent_id = (SELECT id FROM messaging.messages WHERE session_id = $1 AND role = 'user' ORDER BY created_at DESC LIMIT 1) " +
        "ORDER BY participant";

    /// Loads the session's history and inserts the new turn in one round trip; null history when a stream already runs
    /// on the session (the one-stream-per-session index refused the placeholders, and nothing was inserted).
    public async Task<List<HistoryEntry>?> StartTurnAsync(Guid sessionId, Guid userMessageId, string content, IReadOnlyList<Placeholder> replies, Guid hostId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        var history = new NpgsqlBatchCommand(HistorySql);
        history.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        batch.BatchCommands.Add(history);

        var start = new NpgsqlBatchCommand(StartSql);
        start.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userMessageId });
        start.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = content });
        start.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        start.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = hostId });
        start.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. replies.Select(r => r.Id)] });
        start.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. replies.Select(r => r.Model)] });
        start.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. replies.Select(r => WireNames.Of(r.Participant))] });
        batch.BatchCommands.Add(start);

        try
        {
            var entries = new List<HistoryEntry>();
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    entries.Add(new HistoryEntry(
                        reader.GetString(0) == "user" ? MessageRole.User : MessageRole.Assistant,
                        reader.IsDBNull(1) ? null : Enum.Parse<Participant>(reader.GetString(1), ignoreCase: true),
                        reader.GetString(2),
                        reader.GetFieldValue<DateTimeOffset>(3)));
                }

                // The insert's outcome, including a refusal by the unique index, arrives with the next result.
                await reader.NextResultAsync(cancellationToken);
            }

            return entries;
        }
        catch (PostgresException exception) when (exception is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: Message.OneStreamPerSessionIndex })
        {
            return null;
        }
    }

    public async Task FinishAsync(FinalWrite end, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FinishSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = end.MessageId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = end.Content });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WireNames.Of(end.Status) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = end.Metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = end.At });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = end.Reasoning, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FailAsync(Guid messageId, string metadata, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FailSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = messageId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// The partial content of many replies in one statement.
    public async Task SavePartialsAsync(Guid[] ids, string[] contents, string?[] reasonings, DateTimeOffset now, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(PartialsSql);
        command.CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = contents });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = reasonings, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> AnyStreamingAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(StreamingSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<List<StoredReply>> LatestTurnAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(LatestTurnSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
        var replies = new List<StoredReply>(2);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            replies.Add(new StoredReply(
                reader.GetGuid(0),
                reader.GetString(1) == "a" ? Participant.A : Participant.B,
                reader.GetString(2),
                reader.GetString(3),
                Enum.Parse<MessageStatus>(reader.GetString(4), ignoreCase: true),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetGuid(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return replies;
    }

    public async Task SavePositionsAsync(Guid[] ids, string[] positions, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "UPDATE messaging.messages AS m SET stream_positions = p.positions::jsonb FROM unnest($1::uuid[], $2::text[]) AS p(id, positions) WHERE m.id = p.id");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = positions });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task NotifyAsync(string channel, string payload, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
